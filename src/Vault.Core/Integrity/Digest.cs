using System.Numerics;

namespace Vault.Core.Integrity;

/// <summary>
/// A sum of MACs modulo 2^256: the digest of a set (an object's versions, a vault's objects, its
/// roles) that a change updates without reading the rest, taking the old member's MAC away and
/// adding the new one's. Unlike XOR, a member added twice does not cancel out; and since only a
/// holder of the key can make the MACs, nobody else can make a set that sums to a given digest.
/// </summary>
internal static class Digest
{
    public const int Size = 32;

    private static readonly BigInteger Modulus = BigInteger.One << 256;

    public static byte[] Empty => new byte[Size];

    public static byte[] Add(byte[]? digest, ReadOnlySpan<byte> mac) => Combine(digest, mac, 1);

    public static byte[] Subtract(byte[]? digest, ReadOnlySpan<byte> mac) => Combine(digest, mac, -1);

    public static byte[] Of(IEnumerable<byte[]> macs)
    {
        var sum = Empty;
        foreach (var mac in macs)
        {
            sum = Add(sum, mac);
        }

        return sum;
    }

    public static bool Same(byte[]? a, byte[]? b) => (a ?? Empty).AsSpan().SequenceEqual(b ?? Empty);

    private static byte[] Combine(byte[]? digest, ReadOnlySpan<byte> mac, int sign)
    {
        var a = new BigInteger(digest ?? Empty, isUnsigned: true, isBigEndian: true);
        var b = new BigInteger(mac, isUnsigned: true, isBigEndian: true);
        var sum = ((a + (sign * b)) % Modulus + Modulus) % Modulus;
        var result = new byte[Size];
        sum.TryWriteBytes(result.AsSpan(Size - sum.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }
}
