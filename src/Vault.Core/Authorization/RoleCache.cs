using Vault.Core.Storage;

namespace Vault.Core.Authorization;

/// <summary>A vault's roles and assignments as last read, at a version, with the decider built from them.</summary>
internal sealed record RoleCache(long Version, AccessDecider Decider, IReadOnlyList<VaultRoleDefinition> Roles, IReadOnlyList<RoleAssignmentRow> Assignments)
{
    /// <summary>Reads both, and their version, from one snapshot.</summary>
    public static RoleCache Load(IRoleStore store)
    {
        var assignments = store.ReadAssignments();
        var roles = BuiltInRoles.All.Concat(store.ReadDefinitions().Select(RoleFromRow)).ToList();
        return new RoleCache(store.Version(), new AccessDecider(roles, assignments.Select(AssignmentFromRow)), roles, assignments);
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
