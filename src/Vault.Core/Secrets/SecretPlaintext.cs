using System.Security.Cryptography;

namespace Vault.Core;

/// <summary>
/// A secret's value as UTF-8 bytes, with its properties: for a host that writes the value out
/// itself (a server's response body). Dispose it as soon as the value is written: that zeroes it.
/// </summary>
public sealed class SecretPlaintext : IDisposable
{
    private byte[]? value;

    internal SecretPlaintext(VaultSecretProperties properties, byte[] value)
    {
        Properties = properties;
        this.value = value;
    }

    public VaultSecretProperties Properties { get; }

    /// <summary>The value's UTF-8 bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Value => value ?? throw new ObjectDisposedException(nameof(SecretPlaintext));

    public void Dispose()
    {
        if (value is not null)
        {
            CryptographicOperations.ZeroMemory(value);
            value = null;
        }
    }
}
