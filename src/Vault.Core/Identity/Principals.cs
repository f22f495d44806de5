namespace Vault.Core.Identity;

/// <summary>
/// Principals by name or id, as embedded mode knows them: the operating system's users and groups
/// (a server resolves its callers from tokens instead).
/// </summary>
internal static class Principals
{
    /// <summary>
    /// The principal a role assignment names: by id (which need not be an account of this computer,
    /// a shared vault's other machines), or by name, which the operating system must know.
    /// </summary>
    /// <param name="type">The type the user gave, or null to take it from the id's form (gid: is a group, app: an application).</param>
    public static Principal Resolve(string? name, string? id, VaultPrincipalType? type)
    {
        if (id is not null)
        {
            var kind = type ?? Principal.TypeOfId(id);
            return OsIdentity.Resolve(id, kind) ?? new Principal(id, id, kind);
        }

        ArgumentNullException.ThrowIfNull(name);
        var nameType = type ?? VaultPrincipalType.User;
        return OsIdentity.Resolve(name, nameType) ?? throw VaultErrors.PrincipalNotFound(name, nameType);
    }

    /// <summary>A user to test access as: with the groups the operating system gives it, or, for an id it does not know, alone.</summary>
    public static CallerContext CallerFor(string nameOrId) =>
        OsIdentity.CallerFor(nameOrId)
        ?? (Principal.IsId(nameOrId)
            ? new CallerContext(Resolve(null, nameOrId, null), [], OsIdentity.Authentication)
            : throw VaultErrors.PrincipalNotFound(nameOrId, VaultPrincipalType.User));
}
