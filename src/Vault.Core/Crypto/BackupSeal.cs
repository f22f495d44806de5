using System.Buffers.Binary;
using System.Security.Cryptography;
using Vault.Core.Resources;

namespace Vault.Core.Crypto;

/// <summary>
/// How a backup blob is sealed: under a key derived from one keyring term, so only a vault holding
/// that keyring can open it. What is inside (the versions and attributes) is the object kind's own
/// format (see <c>Secrets/SecretBackup</c>).
/// <code>
/// "VAULTBAK" ‖ format (1) ‖ keyring id (16) ‖ term (4, big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
/// </code>
/// The key is HKDF-SHA256(term key, salt = keyring id, info = "vault-backup/v1" ‖ keyring id ‖ term);
/// the header is the associated data.
/// </summary>
internal static class BackupSeal
{
    private const byte Format = 1;
    private static readonly byte[] Magic = "VAULTBAK"u8.ToArray();
    private static readonly int HeaderSize = Magic.Length + 1 + 16 + 4;

    public static byte[] Seal(Keyring keyring, ReadOnlySpan<byte> payload)
    {
        var term = keyring.ActiveTerm;
        var header = Header(keyring.KeyringId, term);
        var key = DeriveKey(keyring, term);
        try
        {
            var sealedPayload = Aead.Seal(key, payload, header);
            var blob = new byte[header.Length + sealedPayload.Length];
            header.CopyTo(blob, 0);
            sealedPayload.CopyTo(blob, header.Length);
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens a blob made by <see cref="Seal"/>; the caller zeroes the payload. Names <paramref name="source"/> in errors.</summary>
    public static byte[] Open(Keyring keyring, ReadOnlySpan<byte> blob, string source)
    {
        if (blob.Length < HeaderSize + Aead.Overhead || !blob[..Magic.Length].SequenceEqual(Magic) || blob[Magic.Length] != Format)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupNotABackup);
        }

        var keyringId = new Guid(blob.Slice(Magic.Length + 1, 16), bigEndian: true);
        var term = BinaryPrimitives.ReadInt32BigEndian(blob.Slice(Magic.Length + 17, 4));
        if (keyringId != keyring.KeyringId)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupOtherKeyring);
        }

        if (!keyring.Contains(term))
        {
            throw VaultErrors.BackupInvalid(source, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.BackupUnknownTerm, term));
        }

        var key = DeriveKey(keyring, term);
        try
        {
            return Aead.Open(key, blob[HeaderSize..], blob[..HeaderSize]);
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupDamaged, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] Header(Guid keyringId, int term)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        header[Magic.Length] = Format;
        keyringId.TryWriteBytes(header.AsSpan(Magic.Length + 1), bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(Magic.Length + 17), term);
        return header;
    }

    private static byte[] DeriveKey(Keyring keyring, int term)
    {
        var key = new byte[Aead.KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, keyring.Key(term), key, keyring.KeyringId.ToByteArray(bigEndian: true), AssociatedData.ForBackup(keyring.KeyringId, term));
        return key;
    }
}
