namespace Vault.Core;

/// <summary>
/// The built-in roles, modelled on Azure Key Vault's data-plane roles, with fixed ids. They exist in
/// every vault and cannot be changed or removed.
/// </summary>
public static class BuiltInRoles
{
    public const string Administrator = "Vault Administrator";
    public const string SecretsOfficer = "Vault Secrets Officer";
    public const string SecretsUser = "Vault Secrets User";
    public const string Reader = "Vault Reader";
    public const string CryptoOfficer = "Vault Crypto Officer";
    public const string CryptoUser = "Vault Crypto User";
    public const string AuditReader = "Vault Audit Reader";

    public static IReadOnlyList<VaultRoleDefinition> All { get; } =
    [
        Role(Administrator, "00000000-0000-4000-a000-000000000001",
            "Everything in the vault: secrets, keyring, roles, assignments and the audit log.",
            ["Vault/*"]),
        Role(SecretsOfficer, "00000000-0000-4000-a000-000000000002",
            "Every action on secrets, values included.",
            ["Vault/secrets/*", VaultActions.VaultRead, VaultActions.KeyringUnlock]),
        Role(SecretsUser, "00000000-0000-4000-a000-000000000003",
            "Reads secret values and metadata: what an application needs.",
            [VaultActions.SecretGet, VaultActions.SecretReadMetadata, VaultActions.VaultRead, VaultActions.KeyringUnlock]),
        Role(Reader, "00000000-0000-4000-a000-000000000004",
            "Reads metadata (the vault, secret properties, roles and assignments), never a secret value.",
            ["Vault/*/read/action", VaultActions.SecretReadMetadata],
            [VaultActions.SecretGet, VaultActions.AuditRead]),
        Role(CryptoOfficer, "00000000-0000-4000-a000-000000000005",
            "Manages the keyring: rotation, key protectors, export and import; and (later) keys.",
            ["Vault/keyring/*", "Vault/keys/*", VaultActions.VaultRead]),
        Role(CryptoUser, "00000000-0000-4000-a000-000000000006",
            "Uses keys for cryptographic operations (a later step) and unlocks the vault.",
            [VaultActions.KeysUse, VaultActions.KeyringUnlock, VaultActions.VaultRead]),
        Role(AuditReader, "00000000-0000-4000-a000-000000000007",
            "Reads the audit log (step 4).",
            [VaultActions.AuditRead, VaultActions.VaultRead]),
    ];

    public static VaultRoleDefinition? Find(string name) =>
        All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public static VaultRoleDefinition? Find(Guid id) => All.FirstOrDefault(r => r.Id == id);

    private static VaultRoleDefinition Role(string name, string id, string description, string[] actions, string[]? notActions = null) => new()
    {
        Name = name,
        Id = Guid.Parse(id),
        Description = description,
        DataActions = actions,
        NotDataActions = notActions ?? [],
        IsBuiltIn = true,
    };
}
