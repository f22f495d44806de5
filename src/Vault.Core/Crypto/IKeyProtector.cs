namespace Vault.Core.Crypto;

/// <summary>
/// Holds the root key and never gives it out: it only wraps and unwraps keyring entries.
/// Software (a key file) is the zero-setup default; a PKCS#11 token comes next.
/// </summary>
internal interface IKeyProtector : IDisposable
{
    /// <summary>The kind users see: <c>Software</c> or <c>Pkcs11</c>.</summary>
    string Kind { get; }

    /// <summary>Where the root key lives, for display: a key file's path, a token's label.</summary>
    string Location { get; }

    /// <summary>The settings stored in the vault file to find this root key again (never a secret).</summary>
    KeyProtectorSettings Settings { get; }

    byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context);

    /// <summary>Unwraps a key; throws <see cref="System.Security.Cryptography.CryptographicException"/>
    /// when the wrapped key does not authenticate under this root key.</summary>
    byte[] Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context);
}
