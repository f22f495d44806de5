namespace Vault.Core;

/// <summary>A principal by stable id, with the name it had when seen.</summary>
public sealed record Principal(string Id, string Name, VaultPrincipalType Type)
{
    public override string ToString() => $"{Name} ({Id})";

    /// <summary>Whether a value is written as an id (uid:, gid:, app:, a SID) rather than a name.</summary>
    public static bool IsId(string value) =>
        value.StartsWith("uid:", StringComparison.OrdinalIgnoreCase) || value.StartsWith("gid:", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("app:", StringComparison.OrdinalIgnoreCase) || value.StartsWith("S-1-", StringComparison.OrdinalIgnoreCase);

    /// <summary>The principal type an id's form gives: gid: a group, app: an application, anything else a user.</summary>
    public static VaultPrincipalType TypeOfId(string id) =>
        id.StartsWith("gid:", StringComparison.OrdinalIgnoreCase) ? VaultPrincipalType.Group
        : id.StartsWith("app:", StringComparison.OrdinalIgnoreCase) ? VaultPrincipalType.Application
        : VaultPrincipalType.User;
}

/// <summary>
/// Who is calling: a principal and the groups it belongs to. The core receives it; in embedded mode
/// it is the operating-system account (<see cref="OsIdentity"/>), later an Entra ID token.
/// </summary>
public sealed class CallerContext
{
    public CallerContext(Principal principal, IEnumerable<Principal> groups, string authentication)
    {
        Principal = principal;
        Groups = groups.ToList();
        Authentication = authentication;
        Ids = new HashSet<string>(Groups.Select(g => g.Id).Prepend(principal.Id), StringComparer.OrdinalIgnoreCase);
    }

    public Principal Principal { get; }

    public IReadOnlyList<Principal> Groups { get; }

    public string Authentication { get; }

    /// <summary>The principal's id and every group's: what an assignment must name to apply.</summary>
    public IReadOnlySet<string> Ids { get; }
}
