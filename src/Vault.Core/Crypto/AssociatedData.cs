using System.Buffers.Binary;
using System.Text;

namespace Vault.Core.Crypto;

/// <summary>
/// The associated data that binds each ciphertext to its place, so a ciphertext copied to another
/// row, secret, vault or term fails authentication instead of decrypting as the wrong thing.
/// </summary>
internal static class AssociatedData
{
    private static readonly byte[] SecretLabel = "vault-secret/v1\0"u8.ToArray();
    private static readonly byte[] KeyringLabel = "vault-keyring/v1\0"u8.ToArray();
    private static readonly byte[] BackupLabel = "vault-backup/v1\0"u8.ToArray();
    private static readonly byte[] ChainLabel = "vault-keychain/v1\0"u8.ToArray();

    /// <summary>
    /// label ‖ vault id ‖ lower-case name ‖ 0 ‖ version ‖ term (big-endian), where the label names
    /// the object's kind (<c>vault-secret/v1</c> for a secret), so a value never opens as another kind's.
    /// </summary>
    public static byte[] ForObject(Guid vaultId, ObjectKind kind, string name, string version, int term)
    {
        // Names are ASCII letters, digits and hyphens and compare case-insensitively, so the
        // lower-case form is the canonical one; versions are 32 ASCII hex characters.
        var label = LabelOf(kind);
        var lowerName = name.ToLowerInvariant();
        var buffer = new byte[label.Length + 16 + lowerName.Length + 1 + version.Length + 4];
        var span = buffer.AsSpan();
        label.CopyTo(span);
        span = span[label.Length..];
        vaultId.TryWriteBytes(span, bigEndian: true, out _);
        span = span[16..];
        span = span[Encoding.ASCII.GetBytes(lowerName, span)..];
        span[0] = 0;
        span = span[1..];
        span = span[Encoding.ASCII.GetBytes(version, span)..];
        BinaryPrimitives.WriteInt32BigEndian(span, term);
        return buffer;
    }

    private static byte[] LabelOf(ObjectKind kind) =>
        ReferenceEquals(kind, ObjectKind.Secret) ? SecretLabel : throw new NotSupportedException($"No associated data for objects of kind '{kind}'.");

    /// <summary>label ‖ vault id ‖ term ‖ purpose.</summary>
    public static byte[] ForKeyringEntry(Guid vaultId, int term, string purpose) =>
        Concat(KeyringLabel, vaultId, term, purpose);

    /// <summary>label ‖ vault id ‖ term: binds a chain link to the term it opens.</summary>
    public static byte[] ForKeyChain(Guid vaultId, int term) => Concat(ChainLabel, vaultId, term, string.Empty);

    /// <summary>label ‖ keyring id ‖ term: what a backup's key derivation and header are bound to.</summary>
    public static byte[] ForBackup(Guid keyringId, int term) => Concat(BackupLabel, keyringId, term, string.Empty);

    private static byte[] Concat(byte[] label, Guid id, int term, string tail)
    {
        var buffer = new byte[label.Length + 16 + 4 + Encoding.ASCII.GetByteCount(tail)];
        var span = buffer.AsSpan();
        label.CopyTo(span);
        id.TryWriteBytes(span[label.Length..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(span[(label.Length + 16)..], term);
        Encoding.ASCII.GetBytes(tail, span[(label.Length + 20)..]);
        return buffer;
    }
}
