using Vault.Core.Audit;

namespace Vault.Core;

/// <summary>
/// A kind of object a vault holds: secrets today, keys and certificates later. Everything the
/// operation runner, the audit log, access control and the barrier need to tell kinds apart comes
/// from here: the collection in identifiers and scopes (<c>vault://v/secrets/db</c>,
/// <c>/secrets/db</c>), the audit operation names, and the rules for a name and a version.
/// </summary>
internal sealed class ObjectKind
{
    /// <summary>Secrets: names of 1-127 letters, digits and hyphens; versions of 32 lowercase hex characters.</summary>
    public static readonly ObjectKind Secret = new(
        "secrets",
        SecretRules.ValidateSecretName,
        SecretRules.ValidateVersion,
        new ObjectOperations(
            Get: AuditOperations.SecretGet,
            GetMetadata: AuditOperations.SecretGetMetadata,
            Set: AuditOperations.SecretSet,
            List: AuditOperations.SecretList,
            ListVersions: AuditOperations.SecretListVersions,
            ListDeleted: AuditOperations.SecretListDeleted,
            GetDeleted: AuditOperations.SecretGetDeleted,
            Update: AuditOperations.SecretUpdate,
            Delete: AuditOperations.SecretDelete,
            Recover: AuditOperations.SecretRecover,
            Purge: AuditOperations.SecretPurge,
            Backup: AuditOperations.SecretBackup,
            Restore: AuditOperations.SecretRestore,
            Reencrypt: AuditOperations.SecretReencrypt));

    /// <summary>Every kind, in the order re-encryption visits them.</summary>
    public static IReadOnlyList<ObjectKind> All { get; } = [Secret];

    private readonly Action<string> validateName;
    private readonly Action<string> validateVersion;

    private ObjectKind(string collection, Action<string> validateName, Action<string> validateVersion, ObjectOperations operations)
    {
        Collection = collection;
        this.validateName = validateName;
        this.validateVersion = validateVersion;
        Operations = operations;
    }

    /// <summary>The path segment of the kind: <c>secrets</c>.</summary>
    public string Collection { get; }

    /// <summary>The audit OperationName of each operation on this kind.</summary>
    public ObjectOperations Operations { get; }

    /// <summary>Throws the kind's error for a name that breaks its rule.</summary>
    public void ValidateName(string name) => validateName(name);

    /// <summary>Throws the kind's error for a version that breaks its rule.</summary>
    public void ValidateVersion(string version) => validateVersion(version);

    /// <summary>The RBAC scope of one object: <c>/secrets/&lt;name&gt;</c>.</summary>
    public string Scope(string name) => "/" + Collection + "/" + name;

    /// <summary>An object's identifier, or one version's: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;[/&lt;version&gt;]</c>.</summary>
    public string Id(string vaultName, string name, string? version = null) => VaultObjectId.Format(vaultName, Collection, name, version);

    public override string ToString() => Collection;
}

/// <summary>The audit OperationName of each operation an object kind has (Azure's names: SecretGet, KeyGet...).</summary>
internal sealed record ObjectOperations(
    string Get,
    string GetMetadata,
    string Set,
    string List,
    string ListVersions,
    string ListDeleted,
    string GetDeleted,
    string Update,
    string Delete,
    string Recover,
    string Purge,
    string Backup,
    string Restore,
    string Reencrypt);
