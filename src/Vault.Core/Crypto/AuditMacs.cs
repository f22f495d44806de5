using System.Security.Cryptography;

namespace Vault.Core.Crypto;

/// <summary>The audit log's MAC: HMAC-SHA256 of a record's (or the head's) canonical bytes under the audit key.</summary>
internal static class AuditMacs
{
    public const int Size = HMACSHA256.HashSizeInBytes;

    public static byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> canonical) => HMACSHA256.HashData(key, canonical);

    /// <summary>Compared in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> key, ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> mac)
    {
        Span<byte> computed = stackalloc byte[Size];
        HMACSHA256.HashData(key, canonical, computed);
        return CryptographicOperations.FixedTimeEquals(computed, mac);
    }
}
