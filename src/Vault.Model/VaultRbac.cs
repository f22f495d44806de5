namespace Vault;

/// <summary>Who a principal is: a user, a group or an application, by a stable id.</summary>
public enum VaultPrincipalType
{
    /// <summary>A user account (uid:1000 on Unix, a SID on Windows).</summary>
    User,

    /// <summary>A group of accounts (gid:1000 on Unix, a SID on Windows).</summary>
    Group,

    /// <summary>An application (later: an Entra ID service principal).</summary>
    Application,
}

/// <summary>A role: the data actions it grants, minus the ones it excludes. Wildcards (<c>*</c>) allowed.</summary>
public sealed class VaultRoleDefinition
{
    /// <summary>The role's name, such as <c>Vault Secrets User</c>.</summary>
    public required string Name { get; init; }

    /// <summary>A stable id; built-in roles have fixed ones.</summary>
    public required Guid Id { get; init; }

    /// <summary>What the role is for.</summary>
    public string? Description { get; init; }

    /// <summary>The actions it grants, such as <c>Vault/secrets/getSecret/action</c> or <c>Vault/secrets/*</c>.</summary>
    public required IReadOnlyList<string> DataActions { get; init; }

    /// <summary>The actions it excludes from those.</summary>
    public required IReadOnlyList<string> NotDataActions { get; init; }

    /// <summary>True for the seven built-in roles; false for custom roles.</summary>
    public bool IsBuiltIn { get; init; }

    /// <summary>The vault the definition was read from (built-in roles exist in every vault).</summary>
    public string? VaultName { get; init; }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A role given to a principal at a scope of a vault.</summary>
public sealed class VaultRoleAssignment
{
    /// <summary>The assignment's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The vault it belongs to.</summary>
    public required string VaultName { get; init; }

    /// <summary>The principal's stable id (uid:1000, gid:27, a SID, app:name).</summary>
    public required string PrincipalId { get; init; }

    /// <summary>The principal's name when the assignment was made.</summary>
    public string? PrincipalName { get; init; }

    /// <summary>User, Group or Application.</summary>
    public required VaultPrincipalType PrincipalType { get; init; }

    /// <summary>The role's name.</summary>
    public required string RoleDefinitionName { get; init; }

    /// <summary>The role's id.</summary>
    public required Guid RoleDefinitionId { get; init; }

    /// <summary><c>/</c> (the whole vault), <c>/secrets/&lt;name&gt;</c> or <c>/secrets/&lt;prefix&gt;*</c>.</summary>
    public required string Scope { get; init; }

    /// <summary>When it was made (UTC).</summary>
    public DateTime Created { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{RoleDefinitionName} for {PrincipalName ?? PrincipalId} at {Scope}";
}

/// <summary>Why a principal may, or may not, do an action at a scope.</summary>
public sealed class VaultAccessDecision
{
    /// <summary>Whether the action is allowed.</summary>
    public required bool Allowed { get; init; }

    /// <summary>The principal asked about, as name (id).</summary>
    public required string Principal { get; init; }

    /// <summary>The action, such as <c>Vault/secrets/getSecret/action</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The scope, such as <c>/secrets/db</c>.</summary>
    public required string Scope { get; init; }

    /// <summary>The assignment that grants it (role, principal and scope), when allowed.</summary>
    public string? GrantedBy { get; init; }

    /// <summary>The reason, in words.</summary>
    public required string Reason { get; init; }

    /// <inheritdoc />
    public override string ToString() => (Allowed ? "Allowed: " : "Denied: ") + Reason;
}

/// <summary>Who this session is to Vault: the caller, its groups and the default vault.</summary>
public sealed class VaultContext
{
    /// <summary>The caller's stable id.</summary>
    public required string PrincipalId { get; init; }

    /// <summary>The caller's name.</summary>
    public required string PrincipalName { get; init; }

    /// <summary>How the caller was identified: <c>OperatingSystem</c> in embedded mode.</summary>
    public required string Authentication { get; init; }

    /// <summary>The caller's groups, as <c>name (id)</c>.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>The vault secret commands use when -VaultName is omitted.</summary>
    public string? DefaultVault { get; init; }

    /// <summary>Where this user's vault registry lives.</summary>
    public required string VaultHome { get; init; }
}
