namespace Vault.Core.Crypto;

/// <summary>
/// Holds the root key and never gives it out: it only wraps and unwraps keyring entries.
/// Software (a key file) is the zero-setup default; Pkcs11 keeps the root key in a token.
/// </summary>
internal interface IKeyProtector : IDisposable
{
    /// <summary>The kind users see: <c>Software</c> or <c>Pkcs11</c>.</summary>
    string Kind { get; }

    /// <summary>Where the root key lives, for display: a key file's path, a token and key label.</summary>
    string Location { get; }

    /// <summary>The settings stored in the vault file to find this root key again (never a secret).</summary>
    KeyProtectorSettings Settings { get; }

    /// <summary>Wraps a data key; the mechanism named in the result is stored with it.</summary>
    WrappedKey Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context);

    /// <summary>
    /// Unwraps a data key with the mechanism it was wrapped with. Throws a CryptographicException
    /// when a software-wrapped key does not authenticate, a VaultException when the HSM refuses.
    /// </summary>
    byte[] Unwrap(byte[] wrapped, string mechanism, ReadOnlySpan<byte> context);

    /// <summary>After the vault file commits to this root key: make it final (a new key file takes its name).</summary>
    void Commit();

    /// <summary>After a failure before that commit: remove what was made for it.</summary>
    void Abort();
}

internal sealed record WrappedKey(byte[] Bytes, string Mechanism);
