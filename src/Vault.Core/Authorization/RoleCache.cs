using Vault.Core.Storage;

namespace Vault.Core.Authorization;

/// <summary>A vault's roles and assignments as last read, at a version, with the decider built from them.</summary>
internal sealed record RoleCache(long Version, AccessDecider Decider, IReadOnlyList<VaultRoleDefinition> Roles, IReadOnlyList<RoleAssignmentRow> Assignments)
{
    /// <summary>Whether every row was checked against its MAC and the set against the vault's state (only where the keyring was open).</summary>
    public bool Verified { get; init; }

    /// <summary>
    /// Reads both, and their version, from one snapshot. With the barrier, every row must match its
    /// MAC and the rows together the digest the vault's state holds: a row copied, edited, deleted or
    /// put back is refused (MetadataIntegrityFailed, target "roles"), and no decision is made from it.
    /// Without it (tab completion, which opens no keyring) the rows are read unchecked.
    /// </summary>
    public static RoleCache Load(IVaultTransaction tx, Crypto.CryptoBarrier? barrier, string vaultName)
    {
        var store = tx.Roles;
        var assignments = store.ReadAssignments();
        var definitions = store.ReadDefinitions();
        if (barrier is not null)
        {
            var state = Integrity.VaultState.Check(barrier, vaultName, tx.Settings.Read());
            if (Problems(barrier, definitions, assignments, state).FirstOrDefault() is { } problem)
            {
                throw VaultErrors.MetadataIntegrityFailed(vaultName, "roles", problem);
            }
        }

        var roles = BuiltInRoles.All.Concat(definitions.Select(RoleFromRow)).ToList();
        return new RoleCache(store.Version(), new AccessDecider(roles, assignments.Select(AssignmentFromRow)), roles, assignments) { Verified = barrier is not null };
    }

    /// <summary>
    /// What is wrong with a vault's role rows, every problem: a row that does not match its MAC, and
    /// rows that together are not the set <paramref name="state"/> holds (one deleted or put back).
    /// </summary>
    public static IEnumerable<string> Problems(Crypto.CryptoBarrier barrier, IReadOnlyList<RoleDefinitionRow> definitions, IReadOnlyList<RoleAssignmentRow> assignments, VaultRow state)
    {
        foreach (var definition in definitions)
        {
            if (definition.Mac is null || !definition.Mac.AsSpan().SequenceEqual(Integrity.MetadataFormat.Role(barrier, definition)))
            {
                yield return $"the role definition '{definition.Name}' does not match its MAC.";
            }
        }

        foreach (var assignment in assignments)
        {
            if (assignment.Mac is null || !assignment.Mac.AsSpan().SequenceEqual(Integrity.MetadataFormat.Assignment(barrier, assignment)))
            {
                yield return $"the role assignment {assignment.Id} (to {assignment.PrincipalId} at {assignment.Scope}) does not match its MAC.";
            }
        }

        var stored = Integrity.Digest.Of(definitions.Select(d => d.Mac ?? []).Concat(assignments.Select(a => a.Mac ?? [])));
        if (!Integrity.Digest.Same(stored, state.RolesDigest))
        {
            yield return "the role definitions and assignments are not the set the vault's state holds: one was deleted or put back.";
        }
    }

    public static VaultRoleDefinition RoleFromRow(RoleDefinitionRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        Description = row.Description,
        DataActions = System.Text.Json.JsonSerializer.Deserialize(row.DataActions, RbacJson.Default.StringArray) ?? [],
        NotDataActions = System.Text.Json.JsonSerializer.Deserialize(row.NotDataActions, RbacJson.Default.StringArray) ?? [],
        IsBuiltIn = false,
    };

    public static Assignment AssignmentFromRow(RoleAssignmentRow row) =>
        new(row.Id, row.PrincipalId, row.PrincipalName, Enum.Parse<VaultPrincipalType>(row.PrincipalType), row.RoleDefinitionId, row.Scope);
}
