namespace Vault.Core;

/// <summary>
/// Every data action, and the one action each operation needs. about_Vault_RBAC lists the same table.
/// </summary>
public static class VaultActions
{
    public const string VaultRead = "Vault/vault/read/action";
    public const string VaultWrite = "Vault/vault/write/action";
    public const string VaultDelete = "Vault/vault/delete/action";

    public const string SecretGet = "Vault/secrets/getSecret/action";
    public const string SecretReadMetadata = "Vault/secrets/readMetadata/action";
    public const string SecretSet = "Vault/secrets/setSecret/action";
    public const string SecretUpdate = "Vault/secrets/update/action";
    public const string SecretDelete = "Vault/secrets/delete/action";
    public const string SecretRecover = "Vault/secrets/recover/action";
    public const string SecretPurge = "Vault/secrets/purge/action";
    public const string SecretBackup = "Vault/secrets/backup/action";
    public const string SecretRestore = "Vault/secrets/restore/action";

    public const string KeyringUnlock = "Vault/keyring/unlock/action";
    public const string KeyringRotate = "Vault/keyring/rotate/action";
    public const string KeyringProtector = "Vault/keyring/protector/action";
    public const string KeyringExport = "Vault/keyring/export/action";
    public const string KeyringImport = "Vault/keyring/import/action";

    public const string RoleDefinitionRead = "Vault/roleDefinitions/read/action";
    public const string RoleDefinitionWrite = "Vault/roleDefinitions/write/action";
    public const string RoleDefinitionDelete = "Vault/roleDefinitions/delete/action";
    public const string RoleAssignmentRead = "Vault/roleAssignments/read/action";
    public const string RoleAssignmentWrite = "Vault/roleAssignments/write/action";
    public const string RoleAssignmentDelete = "Vault/roleAssignments/delete/action";

    public const string AuditRead = "Vault/audit/read/action";

    /// <summary>Reserved for key operations (a later step): Vault Crypto User's actions.</summary>
    public const string KeysUse = "Vault/keys/use/action";

    /// <summary>
    /// Each cmdlet and the action it needs: secret operations at /secrets/&lt;name&gt;; Get-Vault,
    /// Unlock-Vault and Lock-Vault wherever the caller holds the action (any scope); the rest at /.
    /// </summary>
    public static IReadOnlyList<(string Operation, string Action)> Operations { get; } =
    [
        ("Get-Vault", VaultRead),
        ("Update-Vault", VaultWrite),
        ("Remove-Vault", VaultDelete),
        ("Get-VaultSecret (a value: exact name, -Id)", SecretGet),
        ("Get-VaultSecret (listings, -IncludeVersions, -InRemovedState)", SecretReadMetadata),
        ("Set-VaultSecret", SecretSet),
        ("Update-VaultSecret", SecretUpdate),
        ("Remove-VaultSecret", SecretDelete),
        ("Remove-VaultSecret -InRemovedState", SecretPurge),
        ("Undo-VaultSecretRemoval", SecretRecover),
        ("Backup-VaultSecret", SecretBackup),
        ("Restore-VaultSecret", SecretRestore),
        ("Unlock-Vault", KeyringUnlock),
        ("Invoke-VaultKeyRotation", KeyringRotate),
        ("Set-VaultKeyProtector", KeyringProtector),
        ("Export-VaultKeyring", KeyringExport),
        ("Import-VaultKeyring", KeyringImport),
        ("Get-VaultRoleDefinition", RoleDefinitionRead),
        ("New-VaultRoleDefinition", RoleDefinitionWrite),
        ("Remove-VaultRoleDefinition", RoleDefinitionDelete),
        ("Get-VaultRoleAssignment, Test-VaultAccess", RoleAssignmentRead),
        ("New-VaultRoleAssignment", RoleAssignmentWrite),
        ("Remove-VaultRoleAssignment", RoleAssignmentDelete),
    ];

    /// <summary>Every concrete action.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        VaultRead, VaultWrite, VaultDelete,
        SecretGet, SecretReadMetadata, SecretSet, SecretUpdate, SecretDelete, SecretRecover, SecretPurge, SecretBackup, SecretRestore,
        KeyringUnlock, KeyringRotate, KeyringProtector, KeyringExport, KeyringImport,
        RoleDefinitionRead, RoleDefinitionWrite, RoleDefinitionDelete, RoleAssignmentRead, RoleAssignmentWrite, RoleAssignmentDelete,
        AuditRead, KeysUse,
    ];
}
