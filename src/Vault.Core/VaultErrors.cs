using System.Globalization;
using Vault.Core.Resources;

namespace Vault.Core;

/// <summary>Every error the core raises, one factory each, so ids and messages live in one place.</summary>
public static class VaultErrors
{
    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    private static VaultException E(string id, VaultErrorKind kind, string? target, string message, Exception? inner = null) =>
        new(id, kind, message, target, inner);

    public static VaultException VaultNotFound(string vault) =>
        E("VaultNotFound", VaultErrorKind.NotFound, vault, F(Messages.VaultNotFound, vault));

    public static VaultException VaultAlreadyExists(string vault) =>
        E("VaultAlreadyExists", VaultErrorKind.AlreadyExists, vault, F(Messages.VaultAlreadyExists, vault));

    public static VaultException VaultPathAlreadyRegistered(string path, string registeredAs) =>
        E("VaultAlreadyExists", VaultErrorKind.AlreadyExists, path, F(Messages.VaultPathAlreadyRegistered, path, registeredAs));

    public static VaultException VaultFileExists(string path) =>
        E("VaultFileExists", VaultErrorKind.AlreadyExists, path, F(Messages.VaultFileExists, path));

    public static VaultException InvalidVaultName(string vault) =>
        E("InvalidVaultName", VaultErrorKind.InvalidArgument, vault, F(Messages.InvalidVaultName, vault));

    public static VaultException NoDefaultVault() =>
        E("NoDefaultVault", VaultErrorKind.InvalidArgument, null, Messages.NoDefaultVault);

    public static VaultException VaultFileNotFound(string path, string vault) =>
        E("VaultFileNotFound", VaultErrorKind.Unavailable, vault, F(Messages.VaultFileNotFound, path, vault));

    public static VaultException NotAVaultFile(string path, Exception? inner = null) =>
        E("NotAVaultFile", VaultErrorKind.InvalidData, path, F(Messages.NotAVaultFile, path), inner);

    public static VaultException VaultSchemaTooNew(string path, long found, long known) =>
        E("VaultSchemaTooNew", VaultErrorKind.InvalidData, path, F(Messages.VaultSchemaTooNew, path, found, known));

    /// <summary>The error id of a storage failure, which the runner turns into AuditWriteFailed on the record's path.</summary>
    internal const string StorageFailedId = "VaultStorageFailed";

    public static VaultException VaultStorageFailed(string path, Exception inner) =>
        E(StorageFailedId, VaultErrorKind.Unavailable, path, F(Messages.VaultStorageFailed, path, inner.Message), inner);

    public static VaultException InvalidRetention(int days) =>
        E("InvalidVaultAttribute", VaultErrorKind.InvalidArgument, days.ToString(CultureInfo.InvariantCulture), F(Messages.InvalidRetention, days));

    public static VaultException PurgeProtectionCannotBeDisabled(string vault) =>
        E("InvalidVaultAttribute", VaultErrorKind.InvalidOperation, vault, F(Messages.PurgeProtectionCannotBeDisabled, vault));

    public static VaultException VaultPurgeProtected(string vault, long liveSecrets) =>
        E("PurgeProtected", VaultErrorKind.InvalidOperation, vault, F(Messages.VaultPurgeProtected, vault, liveSecrets));

    public static VaultException VaultPurgeProtectedDeleted(string vault, DateTime until) =>
        E("PurgeProtected", VaultErrorKind.InvalidOperation, vault, F(Messages.VaultPurgeProtectedDeleted, vault, until));

    public static VaultException KeyProtectorUnavailable(string vault, string reason, Exception? inner = null) =>
        E("KeyProtectorUnavailable", VaultErrorKind.Unavailable, vault, F(Messages.KeyProtectorUnavailable, vault, reason), inner);

    public static VaultException KeyFileInsecure(string vault, string keyFile, string problem) =>
        E("KeyFileInsecure", VaultErrorKind.Unavailable, keyFile, F(Messages.KeyFileInsecure, vault, keyFile, problem));

    public static VaultException KeyringIntegrityFailed(string vault, int term, Exception? inner = null) =>
        E("KeyringIntegrityFailed", VaultErrorKind.InvalidData, vault, F(Messages.KeyringIntegrityFailed, vault, term), inner);

    public static VaultException InvalidSecretName(string name) =>
        E("InvalidSecretName", VaultErrorKind.InvalidArgument, name, F(Messages.InvalidSecretName, name));

    public static VaultException InvalidSecretVersion(string version) =>
        E("InvalidSecretVersion", VaultErrorKind.InvalidArgument, version, F(Messages.InvalidSecretVersion, version));

    public static VaultException InvalidSecretId(string id) =>
        E("InvalidSecretId", VaultErrorKind.InvalidArgument, id, F(Messages.InvalidSecretId, id));

    public static VaultException SecretValueTooLarge(string name, long bytes) =>
        E("SecretValueTooLarge", VaultErrorKind.InvalidArgument, name, F(Messages.SecretValueTooLarge, name, bytes, SecretRules.MaxValueBytes));

    public static VaultException InvalidSecretValue(string name, string reason) =>
        E("InvalidSecretValue", VaultErrorKind.InvalidArgument, name, F(Messages.InvalidSecretValue, name, reason));

    public static VaultException InvalidSecretAttribute(string name, string reason) =>
        E("InvalidSecretAttribute", VaultErrorKind.InvalidArgument, name, F(Messages.InvalidSecretAttribute, name, reason));

    public static VaultException SecretNotFound(string name, string vault) =>
        E("SecretNotFound", VaultErrorKind.NotFound, name, F(Messages.SecretNotFound, name, vault));

    public static VaultException DeletedSecretNotFound(string name, string vault) =>
        E("SecretNotFound", VaultErrorKind.NotFound, name, F(Messages.DeletedSecretNotFound, name, vault));

    public static VaultException SecretVersionNotFound(string name, string version, string vault) =>
        E("SecretVersionNotFound", VaultErrorKind.NotFound, name, F(Messages.SecretVersionNotFound, name, version, vault));

    public static VaultException SecretDisabled(string name, string version, string vault) =>
        E("SecretDisabled", VaultErrorKind.InvalidOperation, name, F(Messages.SecretDisabled, name, version, vault));

    public static VaultException SecretIsDeleted(string name, string vault, DateTime scheduledPurge) =>
        E("SecretIsDeleted", VaultErrorKind.InvalidOperation, name, F(Messages.SecretIsDeleted, name, vault, scheduledPurge));

    public static VaultException SecretAlreadyExists(string name, string vault) =>
        E("SecretAlreadyExists", VaultErrorKind.AlreadyExists, name, F(Messages.SecretAlreadyExists, name, vault));

    public static VaultException SecretPurgeProtected(string name, string vault, DateTime scheduledPurge) =>
        E("PurgeProtected", VaultErrorKind.InvalidOperation, name, F(Messages.SecretPurgeProtected, name, vault, scheduledPurge));

    public static VaultException SecretIntegrityFailed(string name, string version, Exception? inner = null) =>
        E("SecretIntegrityFailed", VaultErrorKind.InvalidData, name, F(Messages.SecretIntegrityFailed, name, version), inner);

    public static VaultException BackupInvalid(string source, string reason, Exception? inner = null) =>
        E("BackupInvalid", VaultErrorKind.InvalidData, source, F(Messages.BackupInvalid, source, reason), inner);

    public static VaultException BackupTooLarge(string source, long bytes) =>
        BackupInvalid(source, F(Messages.BackupTooLarge, bytes, SecretRules.MaxBackupBytes));

    public static VaultException InvalidContinuationToken(string token, string reason) =>
        E("InvalidContinuationToken", VaultErrorKind.InvalidArgument, token, F(Messages.InvalidContinuationToken, token, reason));

    public static VaultException InvalidPageSize(int asked, int maximum) =>
        E("InvalidPageSize", VaultErrorKind.InvalidArgument, asked.ToString(CultureInfo.InvariantCulture), F(Messages.InvalidPageSize, asked, maximum));

    public static VaultException HsmLibraryNotFound(string library, Exception? inner = null) =>
        E("HsmLibraryNotFound", VaultErrorKind.Unavailable, library, F(Messages.HsmLibraryNotFound, library, Sentence(inner?.Message)), inner);

    public static VaultException HsmTokenNotFound(string tokenLabel, string library) =>
        E("HsmTokenNotFound", VaultErrorKind.Unavailable, tokenLabel, F(Messages.HsmTokenNotFound, tokenLabel, library));

    public static VaultException HsmLoginFailed(string tokenLabel, Exception? inner = null) =>
        E("HsmLoginFailed", VaultErrorKind.AuthenticationFailed, tokenLabel, F(Messages.HsmLoginFailed, tokenLabel), inner);

    /// <summary>The same id as a failed login: to a script it is one; the message says the PIN was not sent.</summary>
    public static VaultException HsmPinNotRetried(string tokenLabel) =>
        E("HsmLoginFailed", VaultErrorKind.AuthenticationFailed, tokenLabel, F(Messages.HsmPinNotRetried, tokenLabel));

    public static VaultException Pkcs11LibraryNotTrusted(string vault, string library, IReadOnlyList<string> trusted, string machineList) =>
        E("Pkcs11LibraryNotTrusted", VaultErrorKind.Unavailable, library, F(Messages.Pkcs11LibraryNotTrusted, vault, library,
            trusted.Count == 0 ? "none" : string.Join("', '", trusted), machineList));

    public static VaultException VaultIdentityMismatch(string vault, string location, string expected, string found) =>
        E("VaultIdentityMismatch", VaultErrorKind.Unavailable, vault, F(Messages.VaultIdentityMismatch, vault, location, expected, found));

    /// <summary>Stored metadata that fails its MAC, or does not add up: <paramref name="target"/> names what (a secret, "settings", "roles", "keyring").</summary>
    public static VaultException MetadataIntegrityFailed(string vault, string target, string problem) =>
        E("MetadataIntegrityFailed", VaultErrorKind.InvalidData, target, F(Messages.MetadataIntegrityFailed, target, vault, problem));

    public static VaultException HsmPinLocked(string tokenLabel, Exception? inner = null) =>
        E("HsmPinLocked", VaultErrorKind.AuthenticationFailed, tokenLabel, F(Messages.HsmPinLocked, tokenLabel), inner);

    public static VaultException HsmMechanismUnsupported(string tokenLabel, string library) =>
        E("HsmMechanismUnsupported", VaultErrorKind.Unavailable, tokenLabel, F(Messages.HsmMechanismUnsupported, tokenLabel, library));

    public static VaultException HsmOperationFailed(string target, string reason, Exception? inner = null) =>
        E("HsmOperationFailed", VaultErrorKind.Unavailable, target, F(Messages.HsmOperationFailed, target, reason), inner);

    public static VaultException RootKeyNotFound(string vault, string keyLabel, string tokenLabel) =>
        E("RootKeyNotFound", VaultErrorKind.Unavailable, vault, F(Messages.RootKeyNotFound, vault, keyLabel, tokenLabel));

    public static VaultException RootKeyMismatch(string vault, string keyFile) =>
        E("KeyringIntegrityFailed", VaultErrorKind.InvalidData, vault, F(Messages.RootKeyMismatch, vault, keyFile));

    public static VaultException KeyProtectorLocked(string vault, string tokenLabel) =>
        E("KeyProtectorLocked", VaultErrorKind.Unavailable, vault, F(Messages.KeyProtectorLocked, vault, tokenLabel));

    public static VaultException InvalidKeyProtectorOptions(string reason) =>
        E("InvalidKeyProtectorOptions", VaultErrorKind.InvalidArgument, null, F(Messages.InvalidKeyProtectorOptions, reason));

    public static VaultException KeyringBackupInvalid(string source, string reason, Exception? inner = null) =>
        E("KeyringBackupInvalid", VaultErrorKind.InvalidData, source, F(Messages.KeyringBackupInvalid, source, reason), inner);

    public static VaultException WeakKeyringPassword(int minimum) =>
        E("WeakKeyringPassword", VaultErrorKind.InvalidArgument, null, F(Messages.WeakKeyringPassword, minimum));

    public static VaultException KeyProtectorUnchanged(string vault, string protector) =>
        E("KeyProtectorUnchanged", VaultErrorKind.InvalidOperation, vault, F(Messages.KeyProtectorUnchanged, vault, protector));

    public static VaultException ReencryptionCancelled(string vault, long done, long total) =>
        E("ReencryptionCancelled", VaultErrorKind.InvalidOperation, vault, F(Messages.ReencryptionCancelled, vault, done, total));

    public static VaultException AccessDenied(VaultAccessDecision decision, string vault) =>
        E("AccessDenied", VaultErrorKind.PermissionDenied, decision.Scope, F(Messages.AccessDenied, decision.Principal, decision.Action, decision.Scope, vault, decision.Reason));

    public static VaultException InvalidScope(string scope) =>
        E("InvalidScope", VaultErrorKind.InvalidArgument, scope, F(Messages.InvalidScope, scope));

    public static VaultException RoleDefinitionNotFound(string role, string vault) =>
        E("RoleDefinitionNotFound", VaultErrorKind.NotFound, role, F(Messages.RoleDefinitionNotFound, role, vault));

    public static VaultException RoleDefinitionExists(string role, string vault) =>
        E("RoleDefinitionExists", VaultErrorKind.AlreadyExists, role, F(Messages.RoleDefinitionExists, role, vault));

    public static VaultException RoleDefinitionInUse(string role, int count, string vault) =>
        E("RoleDefinitionInUse", VaultErrorKind.InvalidOperation, role, F(Messages.RoleDefinitionInUse, role, count, vault));

    public static VaultException BuiltInRoleReadOnly(string role) =>
        E("BuiltInRoleReadOnly", VaultErrorKind.InvalidOperation, role, F(Messages.BuiltInRoleReadOnly, role));

    public static VaultException InvalidRoleDefinition(string role, string reason) =>
        E("InvalidRoleDefinition", VaultErrorKind.InvalidArgument, role, F(Messages.InvalidRoleDefinition, role, reason));

    public static VaultException PrincipalNotFound(string principal, VaultPrincipalType type) =>
        E("PrincipalNotFound", VaultErrorKind.NotFound, principal, F(Messages.PrincipalNotFound, principal, type.ToString().ToLowerInvariant()));

    public static VaultException RoleAssignmentNotFound(string vault, string target) =>
        E("RoleAssignmentNotFound", VaultErrorKind.NotFound, target, F(Messages.RoleAssignmentNotFound, vault));

    public static VaultException RoleAssignmentExists(string principal, string role, string scope, string vault) =>
        E("RoleAssignmentExists", VaultErrorKind.AlreadyExists, principal, F(Messages.RoleAssignmentExists, principal, role, scope, vault));

    public static VaultException LastAdministrator(string vault) =>
        E("LastAdministrator", VaultErrorKind.InvalidOperation, vault, F(Messages.LastAdministrator, vault));

    public static VaultException InvalidAction(string action) =>
        E("InvalidAction", VaultErrorKind.InvalidArgument, action, F(Messages.InvalidAction, action));

    public static VaultException AuditWriteFailed(string vault, Exception inner) =>
        E("AuditWriteFailed", VaultErrorKind.Unavailable, vault, F(Messages.AuditWriteFailed, vault, inner.Message), inner);

    public static VaultException InvalidAuditQuery(string parameter, string problem) =>
        E("InvalidAuditQuery", VaultErrorKind.InvalidArgument, parameter, F(Messages.InvalidAuditQuery, parameter, problem));

    /// <summary>A read asked for a value as one type (Get-VaultSecret -AsCredential, -AsByteArray, -AsHashtable, -AsPlainText) and the version holds another.</summary>
    public static VaultException SecretTypeMismatch(string name, string version, SecretType actual, SecretType requested) =>
        E("SecretTypeMismatch", VaultErrorKind.InvalidOperation, name,
            F(Messages.SecretTypeMismatch, name, version, Describe(actual), Describe(requested), Switch(actual)));

    private static string Describe(SecretType type) => type switch
    {
        SecretType.String or SecretType.SecureString => "text",
        SecretType.ByteArray => "a byte array",
        SecretType.PSCredential => "a PSCredential",
        SecretType.Hashtable => "a hashtable",
        _ => "a value of a type this version of Vault does not know",
    };

    private static string Switch(SecretType type) => type switch
    {
        SecretType.String or SecretType.SecureString => "no switch (a SecureString) or -AsPlainText",
        SecretType.ByteArray => "-AsByteArray",
        SecretType.PSCredential => "-AsCredential",
        SecretType.Hashtable => "-AsHashtable",
        _ => "no switch (its stored form, as a SecureString)",
    };

    // ---- a vault's files, the Vault home and output files: the cause and the next step ----------

    /// <summary>A vault's file, its -wal or -shm file, or its folder cannot be written (or opened) by this account.</summary>
    public static VaultException VaultReadOnly(string path, string? vault = null, Exception? inner = null) =>
        new("VaultReadOnly", VaultErrorKind.ReadOnly, F(Messages.VaultReadOnly, Subject(path, vault), path, Folder(path)), path, inner)
        {
            ForVault = vault is null ? name => VaultReadOnly(path, name, inner) : null,
        };

    /// <summary>The disk holding a vault's file is full: a write, and so any operation (each is audited), fails.</summary>
    public static VaultException VaultDiskFull(string path, string? vault = null, Exception? inner = null) =>
        new("VaultDiskFull", VaultErrorKind.StorageFull, F(Messages.VaultDiskFull, Subject(path, vault), Folder(path)), path, inner)
        {
            ForVault = vault is null ? name => VaultDiskFull(path, name, inner) : null,
        };

    /// <summary>A vault's file that its storage cannot read (a damaged page, a mangled header).</summary>
    public static VaultException VaultDamaged(string path, string? vault = null, Exception? inner = null) =>
        new("VaultDamaged", VaultErrorKind.Damaged, F(Messages.VaultDamaged, Subject(path, vault), path, vault ?? "<vault>"), path, inner)
        {
            ForVault = vault is null ? name => VaultDamaged(path, name, inner) : null,
        };

    /// <summary>The Vault home (the registry, vaults.json and its lock) cannot be written.</summary>
    public static VaultException VaultHomeReadOnly(string home, Exception? inner = null) =>
        E("VaultHomeReadOnly", VaultErrorKind.ReadOnly, home, F(Messages.VaultHomeReadOnly, home, VaultManager.HomeVariable), inner);

    /// <summary>The disk holding the Vault home is full.</summary>
    public static VaultException VaultHomeDiskFull(string home, Exception? inner = null) =>
        E("VaultHomeDiskFull", VaultErrorKind.StorageFull, home, F(Messages.VaultHomeDiskFull, home), inner);

    /// <summary>A file to write whose folder does not exist; <paramref name="parameter"/> is the parameter that named it.</summary>
    public static VaultException OutputFolderNotFound(string path, string? parameter = null) =>
        E("OutputFolderNotFound", VaultErrorKind.NotFound, path, F(Messages.OutputFolderNotFound, path, Folder(path), parameter ?? "the command"));

    /// <summary>A file to write in a folder this account cannot write.</summary>
    public static VaultException OutputNotWritable(string path) =>
        E("OutputNotWritable", VaultErrorKind.ReadOnly, path, F(Messages.OutputNotWritable, path, Folder(path)));

    /// <summary>A file to write on a full disk; the partial file is gone.</summary>
    public static VaultException OutputDiskFull(string path) =>
        E("OutputDiskFull", VaultErrorKind.StorageFull, path, F(Messages.OutputDiskFull, path, Folder(path)));

    /// <summary>Any other failure writing a file; <paramref name="reason"/> is the system's reason, without the temporary file's name.</summary>
    public static VaultException OutputWriteFailed(string path, string reason) =>
        E("OutputWriteFailed", VaultErrorKind.Unavailable, path, F(Messages.OutputWriteFailed, path, reason));

    /// <summary>Register-Vault -Path: no file there (no registration to undo, unlike <see cref="VaultFileNotFound"/>).</summary>
    public static VaultException VaultFileToRegisterNotFound(string path) =>
        E("VaultFileNotFound", VaultErrorKind.Unavailable, path, F(Messages.VaultFileToRegisterNotFound, path));

    /// <summary>Get-VaultSecret -ExpiringWithin with a negative window.</summary>
    public static VaultException InvalidExpiringWithin(TimeSpan window) =>
        E("InvalidExpiringWithin", VaultErrorKind.InvalidArgument, "ExpiringWithin", F(Messages.InvalidExpiringWithin, window));

    private static string Subject(string path, string? vault) =>
        vault is null ? F(Messages.SubjectVaultFile, path) : F(Messages.SubjectVault, vault, path);

    /// <summary>A reason from elsewhere (a loader's message) as a whole sentence: a capital is left alone, a missing full stop added.</summary>
    private static string Sentence(string? reason)
    {
        var text = (reason ?? string.Empty).Trim();
        return text.Length == 0 ? Messages.NoReasonGiven : text[^1] is '.' or '!' or '?' ? text : text + ".";
    }

    private static string Folder(string path) => System.IO.Path.GetDirectoryName(path) is { Length: > 0 } folder ? folder : path;
}
