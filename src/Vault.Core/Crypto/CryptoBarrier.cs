using System.Security.Cryptography;

namespace Vault.Core.Crypto;

/// <summary>
/// Everything that crosses into storage is sealed here and everything read back is opened here:
/// AES-256-GCM under a keyring term, with associated data naming the vault, secret, version and term.
/// </summary>
internal sealed class CryptoBarrier
{
    private readonly Guid vaultId;
    private readonly Keyring keyring;

    public CryptoBarrier(Guid vaultId, Keyring keyring)
    {
        this.vaultId = vaultId;
        this.keyring = keyring;
    }

    public byte[] Seal(string name, string version, ReadOnlySpan<byte> plaintext, out int term)
    {
        term = keyring.ActiveTerm;
        return Seal(name, version, plaintext, term);
    }

    public byte[] Seal(string name, string version, ReadOnlySpan<byte> plaintext, int term) =>
        Aead.Seal(keyring.Key(term), plaintext, AssociatedData.ForSecret(vaultId, name, version, term));

    /// <summary>Opens a stored value; the caller owns the plaintext and must zero it.</summary>
    public byte[] Open(string name, string version, int term, ReadOnlySpan<byte> sealedValue)
    {
        if (!keyring.Contains(term))
        {
            throw VaultErrors.SecretIntegrityFailed(name, version);
        }

        try
        {
            return Aead.Open(keyring.Key(term), sealedValue, AssociatedData.ForSecret(vaultId, name, version, term));
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.SecretIntegrityFailed(name, version, ex);
        }
    }
}
