namespace Vault;

/// <summary>What part of a vault a problem was found in.</summary>
public enum VaultIntegrityArea
{
    /// <summary>The vault's settings and state: retention, purge protection, key protector, counts and digests.</summary>
    Settings,

    /// <summary>The keyring's rows: wrapped keys, mechanisms, key checks, chain links.</summary>
    Keyring,

    /// <summary>Role definitions and assignments.</summary>
    Roles,

    /// <summary>A secret: its state or one of its versions.</summary>
    Secret,

    /// <summary>The set of secrets as a whole: one removed, or put back.</summary>
    Secrets,

    /// <summary>The audit log's chain.</summary>
    AuditLog,
}

/// <summary>One thing Test-Vault found changed outside Vault.</summary>
public sealed class VaultIntegrityProblem
{
    /// <summary>Where it was found.</summary>
    public required VaultIntegrityArea Area { get; init; }

    /// <summary>What failed: a secret's name, "settings", "keyring", "roles", "secrets" or "audit log".</summary>
    public required string Name { get; init; }

    /// <summary>The error id an operation on it gives (MetadataIntegrityFailed, SecretIntegrityFailed, AuditLogTampered).</summary>
    public required string ErrorId { get; init; }

    /// <summary>What was found, in words.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Area} '{Name}': {Message}";
}

/// <summary>What Test-Vault found: every object that fails, in one pass, and the audit log's verdict.</summary>
public sealed class VaultIntegrityReport
{
    /// <summary>The vault.</summary>
    public required string VaultName { get; init; }

    /// <summary>True when nothing failed: settings, keyring, roles, every secret and version, and the audit log.</summary>
    public required bool IsValid { get; init; }

    /// <summary>Secrets checked (deleted ones included).</summary>
    public long SecretCount { get; init; }

    /// <summary>Versions checked, each against its MAC and its place.</summary>
    public long VersionCount { get; init; }

    /// <summary>Role definitions and assignments checked.</summary>
    public long RoleCount { get; init; }

    /// <summary>Everything that failed, in the order found; empty when valid.</summary>
    public required IReadOnlyList<VaultIntegrityProblem> Problems { get; init; }

    /// <summary>The audit log's verification, as Test-VaultAuditLog reports it.</summary>
    public required VaultAuditVerification AuditLog { get; init; }

    /// <summary>What was found, in words.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
