namespace Vault.Core;

/// <summary>The OperationName of every recorded operation (about_Vault_Audit lists which cmdlet writes which).</summary>
public static class AuditOperations
{
    public const string VaultCreate = "VaultCreate";
    public const string VaultUpdate = "VaultUpdate";
    public const string VaultDelete = "VaultDelete";
    public const string VaultUnlock = "VaultUnlock";
    public const string VaultUpgrade = "VaultUpgrade";
    public const string VaultVerify = "VaultVerify";

    public const string SecretGet = "SecretGet";
    public const string SecretGetMetadata = "SecretGetMetadata";
    public const string SecretSet = "SecretSet";
    public const string SecretList = "SecretList";
    public const string SecretListVersions = "SecretListVersions";
    public const string SecretListDeleted = "SecretListDeleted";
    public const string SecretGetDeleted = "SecretGetDeleted";
    public const string SecretUpdate = "SecretUpdate";
    public const string SecretDelete = "SecretDelete";
    public const string SecretRecover = "SecretRecover";
    public const string SecretPurge = "SecretPurge";
    public const string SecretBackup = "SecretBackup";
    public const string SecretRestore = "SecretRestore";

    public const string KeyRotate = "KeyRotate";
    public const string RootKeyRotate = "RootKeyRotate";
    public const string KeyProtectorChange = "KeyProtectorChange";
    public const string KeyringExport = "KeyringExport";
    public const string KeyringImport = "KeyringImport";
    public const string SecretReencrypt = "SecretReencrypt";

    public const string RoleDefinitionList = "RoleDefinitionList";
    public const string RoleDefinitionCreate = "RoleDefinitionCreate";
    public const string RoleDefinitionDelete = "RoleDefinitionDelete";
    public const string RoleAssignmentList = "RoleAssignmentList";
    public const string RoleAssignmentCreate = "RoleAssignmentCreate";
    public const string RoleAssignmentDelete = "RoleAssignmentDelete";
    public const string AccessTest = "AccessTest";

    public const string AuditLogRead = "AuditLogRead";
    public const string AuditLogExport = "AuditLogExport";
    public const string AuditHeadGet = "AuditHeadGet";
    public const string AuditLogVerify = "AuditLogVerify";
    public const string AuditHashCompute = "AuditHashCompute";

    /// <summary>Every operation name, for -OperationName's completion and validation.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        VaultCreate, VaultUpdate, VaultDelete, VaultUnlock, VaultUpgrade, VaultVerify,
        SecretGet, SecretGetMetadata, SecretSet, SecretList, SecretListVersions, SecretListDeleted, SecretGetDeleted,
        SecretUpdate, SecretDelete, SecretRecover, SecretPurge, SecretBackup, SecretRestore,
        KeyRotate, RootKeyRotate, KeyProtectorChange, KeyringExport, KeyringImport, SecretReencrypt,
        RoleDefinitionList, RoleDefinitionCreate, RoleDefinitionDelete, RoleAssignmentList, RoleAssignmentCreate, RoleAssignmentDelete, AccessTest,
        AuditLogRead, AuditLogExport, AuditHeadGet, AuditLogVerify, AuditHashCompute,
    ];
}
