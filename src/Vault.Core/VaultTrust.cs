namespace Vault.Core;

/// <summary>
/// What the opener of a vault trusts, from the opener's side and never from the vault file: the
/// vault's identity as first seen (its id and a fingerprint that root-key rotation and key-protector
/// migration keep), and the PKCS#11 libraries this opener may load for it (beside the machine-wide
/// list administrators keep, see about_Vault_HSM). The cmdlets take it from the user's registration;
/// a server from its configuration.
/// </summary>
public sealed record VaultTrust
{
    /// <summary>Trusts no identity in particular, and only the machine-wide PKCS#11 libraries.</summary>
    public static VaultTrust None { get; } = new();

    /// <summary>The vault id the opener expects; null to take whichever the vault has.</summary>
    public Guid? VaultId { get; init; }

    /// <summary>The identity fingerprint the opener expects; null until first seen.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>PKCS#11 libraries (full paths) this opener trusts for this vault.</summary>
    public IReadOnlyList<string> Pkcs11Libraries { get; init; } = [];

    /// <summary>Called once with the fingerprint, when the opener had none and the vault's keyring first opens: to pin it.</summary>
    internal Action<string>? OnFirstFingerprint { get; init; }

    /// <summary>Called with a PKCS#11 library the opener named for the vault (moving it to a token): to trust it from then on.</summary>
    internal Action<string>? OnTrustedLibrary { get; init; }
}

/// <summary>Who opens a vault and what they trust: the name errors use, and the trust every key-protector step is checked against.</summary>
internal sealed record Opener(string VaultName, VaultTrust Trust)
{
    /// <summary>
    /// Refuses a vault whose keyring is not the one the opener pinned (VaultIdentityMismatch); pins
    /// it when the opener had none yet (the first open after Register-Vault, or of a registration
    /// made before identities were pinned).
    /// </summary>
    public void CheckIdentity(Crypto.CryptoBarrier barrier, VaultLocation location)
    {
        if (Trust.Fingerprint is null)
        {
            Trust.OnFirstFingerprint?.Invoke(barrier.Fingerprint);
        }
        else if (!string.Equals(Trust.Fingerprint, barrier.Fingerprint, StringComparison.Ordinal))
        {
            throw VaultErrors.VaultIdentityMismatch(VaultName, location.Address, $"fingerprint {Trust.Fingerprint}", $"fingerprint {barrier.Fingerprint}");
        }
    }
}
