using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Vault.Core.Crypto;

/// <summary>Identifiers derived by hashing: no key is involved, but the hash is a primitive, so it lives here.</summary>
internal static class Derivations
{
    private static readonly byte[] CorrelationLabel = "Vault correlation v1"u8.ToArray();

    /// <summary>A GUID (RFC 9562 version 8) from the first 16 bytes of SHA-256 over a label, the runspace id and the history id.</summary>
    public static string PipelineCorrelationId(Guid runspace, long historyId)
    {
        Span<byte> input = stackalloc byte[CorrelationLabel.Length + 16 + 8];
        CorrelationLabel.CopyTo(input);
        runspace.TryWriteBytes(input[CorrelationLabel.Length..]);
        BinaryPrimitives.WriteInt64BigEndian(input[(CorrelationLabel.Length + 16)..], historyId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString("D", CultureInfo.InvariantCulture);
    }
}
