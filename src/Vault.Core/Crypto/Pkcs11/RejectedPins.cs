using System.Security.Cryptography;
using System.Text;

namespace Vault.Core.Crypto.Pkcs11;

/// <summary>
/// The PINs a token has rejected in this process, so none is sent to it again: a real HSM locks its
/// user PIN after a few failures, and a runbook that reads a wrong <c>$env:VAULT_PKCS11_PIN</c> on
/// every call would lock it for everyone. Kept as HMACs under a key made for this process only, so
/// no PIN, right or wrong, is kept in memory for this.
/// </summary>
internal static class RejectedPins
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly HashSet<string> Rejected = new(StringComparer.Ordinal);

    public static bool Contains(string library, string tokenSerial, ReadOnlySpan<byte> pin)
    {
        var id = Id(library, tokenSerial, pin);
        lock (Rejected)
        {
            return Rejected.Contains(id);
        }
    }

    public static void Add(string library, string tokenSerial, ReadOnlySpan<byte> pin)
    {
        var id = Id(library, tokenSerial, pin);
        lock (Rejected)
        {
            Rejected.Add(id);
        }
    }

    private static string Id(string library, string tokenSerial, ReadOnlySpan<byte> pin)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Key);
        hmac.AppendData(Encoding.UTF8.GetBytes(library + "\0" + tokenSerial + "\0"));
        hmac.AppendData(pin);
        return Convert.ToHexString(hmac.GetHashAndReset());
    }
}
