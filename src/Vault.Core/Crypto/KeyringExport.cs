using System.Buffers.Binary;
using System.Security;
using System.Security.Cryptography;
using Vault.Core.Resources;

namespace Vault.Core.Crypto;

/// <summary>
/// A keyring wrapped under a passphrase, for recovering a vault whose key file or HSM is lost:
/// <code>
/// "VAULTKRX" ‖ 0x01 ‖ kdf 0x01 ‖ iterations (4) ‖ salt (16) ‖ keyring id (16) ‖ vault id (16) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
/// key = PBKDF2-HMAC-SHA512(UTF-8 passphrase, salt, iterations, 32 bytes); AAD = the header
/// plaintext = count (4) ‖ (term (4) ‖ data key (32)) × count
/// </code>
/// </summary>
internal static class KeyringExport
{
    public const int Iterations = 600_000;
    public const int MinimumPasswordLength = 8;
    private const byte Format = 1;
    private const byte Pbkdf2Sha512 = 1;
    private static readonly byte[] Magic = "VAULTKRX"u8.ToArray();
    private const int HeaderSize = 8 + 1 + 1 + 4 + 16 + 16 + 16;

    public static byte[] Seal(Keyring keyring, SecureString password)
    {
        var terms = keyring.Terms;
        var plaintext = new byte[4 + (terms.Count * (4 + Aead.KeySize))];
        var header = new byte[HeaderSize];
        byte[]? key = null;
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(plaintext, terms.Count);
            var offset = 4;
            foreach (var term in terms)
            {
                BinaryPrimitives.WriteInt32BigEndian(plaintext.AsSpan(offset), term);
                keyring.Key(term).CopyTo(plaintext.AsSpan(offset + 4));
                offset += 4 + Aead.KeySize;
            }

            Magic.CopyTo(header, 0);
            header[8] = Format;
            header[9] = Pbkdf2Sha512;
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(10), Iterations);
            RandomNumberGenerator.Fill(header.AsSpan(14, 16));
            keyring.KeyringId.TryWriteBytes(header.AsSpan(30), bigEndian: true, out _);
            keyring.VaultId.TryWriteBytes(header.AsSpan(46), bigEndian: true, out _);
            key = DeriveKey(password, header.AsSpan(14, 16), Iterations);
            var sealedPayload = Aead.Seal(key, plaintext, header);
            return [.. header, .. sealedPayload];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            if (key is not null)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>Opens an export. The keys in the result must be zeroed (or handed to a Keyring) by the caller.</summary>
    public static (Guid KeyringId, Guid VaultId, List<(int Term, byte[] Key)> Keys) Open(ReadOnlySpan<byte> blob, SecureString password, string source)
    {
        if (blob.Length < HeaderSize + Aead.Overhead || !blob[..8].SequenceEqual(Magic) || blob[8] != Format || blob[9] != Pbkdf2Sha512)
        {
            throw VaultErrors.KeyringBackupInvalid(source, Messages.KeyringBackupNotABackup);
        }

        var iterations = BinaryPrimitives.ReadInt32BigEndian(blob[10..]);
        if (iterations is < 100_000 or > 100_000_000)
        {
            throw VaultErrors.KeyringBackupInvalid(source, "its key derivation parameters are out of range.");
        }

        var header = blob[..HeaderSize];
        var key = DeriveKey(password, header.Slice(14, 16), iterations);
        byte[] plaintext;
        try
        {
            plaintext = Aead.Open(key, blob[HeaderSize..], header);
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.KeyringBackupInvalid(source, "the password is wrong, or the file was altered.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        try
        {
            var count = BinaryPrimitives.ReadInt32BigEndian(plaintext);
            if (count < 1 || plaintext.Length != 4 + (count * (4 + Aead.KeySize)))
            {
                throw VaultErrors.KeyringBackupInvalid(source, "its contents are malformed.");
            }

            var keys = new List<(int, byte[])>(count);
            for (var i = 0; i < count; i++)
            {
                var offset = 4 + (i * (4 + Aead.KeySize));
                keys.Add((BinaryPrimitives.ReadInt32BigEndian(plaintext.AsSpan(offset)), plaintext.AsSpan(offset + 4, Aead.KeySize).ToArray()));
            }

            return (new Guid(header.Slice(30, 16), bigEndian: true), new Guid(header.Slice(46, 16), bigEndian: true), keys);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public static void ValidatePassword(SecureString password)
    {
        if (password.Length < MinimumPasswordLength)
        {
            throw VaultErrors.WeakKeyringPassword(MinimumPasswordLength);
        }
    }

    private static byte[] DeriveKey(SecureString password, ReadOnlySpan<byte> salt, int iterations)
    {
        var passwordBytes = SecretValue.ToUtf8(password, "password");
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, iterations, HashAlgorithmName.SHA512, Aead.KeySize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}
