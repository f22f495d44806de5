namespace Vault;

/// <summary>A vault known to the current user: where it lives and how it is protected.</summary>
public sealed class VaultInfo
{
    /// <summary>The name this user knows the vault by; the vault part of every secret id.</summary>
    public required string VaultName { get; init; }

    /// <summary>The vault's own identity, fixed when it was created.</summary>
    public required Guid VaultId { get; init; }

    /// <summary>The full path of the vault's SQLite file.</summary>
    public required string Path { get; init; }

    /// <summary>What holds the root key: <c>Software</c> (a key file) or <c>Pkcs11</c> (a token in an HSM).</summary>
    public required string KeyProtector { get; init; }

    /// <summary>Where the key protector keeps the root key (the key file's path for Software).</summary>
    public string? KeyLocation { get; init; }

    /// <summary>Pkcs11: the PKCS#11 library the token is reached through.</summary>
    public string? Pkcs11Library { get; init; }

    /// <summary>Pkcs11: the token's label.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>Pkcs11: the token's serial number.</summary>
    public string? TokenSerial { get; init; }

    /// <summary>Pkcs11: the root key's label in the token.</summary>
    public string? KeyLabel { get; init; }

    /// <summary>How the newest data key is wrapped: AES-256-GCM (Software), CKM_AES_KEY_WRAP_PAD or CKM_AES_KEY_WRAP (Pkcs11).</summary>
    public string? WrapMechanism { get; init; }

    /// <summary>How many keyring terms (data keys) the vault holds.</summary>
    public int KeyringTerms { get; init; }

    /// <summary>Whether this process holds the vault's keyring (Unlock-Vault, or any use; Lock-Vault zeroes it).</summary>
    public bool Unlocked { get; init; }

    /// <summary>Days a deleted secret stays recoverable before it is purged.</summary>
    public required int SoftDeleteRetentionInDays { get; init; }

    /// <summary>When true, deleted secrets cannot be purged before their retention ends.</summary>
    public required bool EnablePurgeProtection { get; init; }

    /// <summary>Whether secret commands use this vault when no -VaultName is given.</summary>
    public bool IsDefault { get; init; }

    /// <summary>When the vault was created (UTC).</summary>
    public DateTime Created { get; init; }

    /// <summary>Whether the vault can be used; anything but <c>Ok</c> says why in <see cref="StatusReason"/>, and its other properties are what the registration knows.</summary>
    public VaultStatus Status { get; init; } = VaultStatus.Ok;

    /// <summary>When <see cref="Status"/> is not <c>Ok</c>: the error that stopped the vault opening, its next step included.</summary>
    public string? StatusReason { get; init; }

    /// <summary>When <see cref="Status"/> is not <c>Ok</c>: that error's id (VaultFileNotFound, VaultDamaged...), for scripts.</summary>
    public string? StatusErrorId { get; init; }

    /// <inheritdoc />
    public override string ToString() => VaultName;
}
