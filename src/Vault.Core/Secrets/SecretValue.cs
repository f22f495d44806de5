using System.Buffers;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;

namespace Vault.Core;

/// <summary>
/// Moves secret values between <see cref="SecureString"/> and the UTF-8 bytes the barrier seals,
/// zeroing every intermediate buffer it makes.
/// </summary>
public static class SecretValue
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes a SecureString as UTF-8. The caller owns the array and must zero it.</summary>
    public static byte[] ToUtf8(SecureString value, string secretName)
    {
        ArgumentNullException.ThrowIfNull(value);
        var ptr = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            unsafe
            {
                var chars = new ReadOnlySpan<char>((char*)ptr, value.Length);
                return Encode(chars, secretName);
            }
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }

    /// <summary>Encodes characters as UTF-8. The caller owns the array and must zero it.</summary>
    public static byte[] Encode(ReadOnlySpan<char> chars, string secretName)
    {
        int count;
        try
        {
            count = StrictUtf8.GetByteCount(chars);
        }
        catch (EncoderFallbackException)
        {
            throw VaultErrors.InvalidSecretValue(secretName, "it holds an unpaired UTF-16 surrogate, which has no UTF-8 form.");
        }

        if (count > SecretRules.MaxValueBytes)
        {
            throw VaultErrors.SecretValueTooLarge(secretName, count);
        }

        var bytes = new byte[count];
        StrictUtf8.GetBytes(chars, bytes);
        return bytes;
    }

    /// <summary>Builds a read-only SecureString from UTF-8 bytes, zeroing the decoded characters.</summary>
    public static SecureString ToSecureString(ReadOnlySpan<byte> utf8)
    {
        var length = StrictUtf8.GetCharCount(utf8);
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(length, 1));
        try
        {
            StrictUtf8.GetChars(utf8, chars);
            unsafe
            {
                fixed (char* p = chars)
                {
                    var secure = new SecureString(p, length);
                    secure.MakeReadOnly();
                    return secure;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan(0, length)));
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Decodes UTF-8 into a string, for callers that asked for plain text.</summary>
    public static string ToPlainText(ReadOnlySpan<byte> utf8) => StrictUtf8.GetString(utf8);

    /// <summary>Reads a SecureString as a string, for callers that asked for plain text.</summary>
    public static string ToPlainText(SecureString value)
    {
        var ptr = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            return Marshal.PtrToStringUni(ptr, value.Length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }
}
