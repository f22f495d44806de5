using System.Security;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;

namespace Vault.Core;

/// <summary>Where a user wants a vault's root key: the software key file (default) or a PKCS#11 token.</summary>
public sealed record KeyProtectorOptions
{
    public static KeyProtectorOptions Software { get; } = new();

    /// <summary><c>Software</c> or <c>Pkcs11</c>.</summary>
    public string Kind { get; init; } = SoftwareKeyProtector.KindName;

    public string? Pkcs11Library { get; init; }

    public string? TokenLabel { get; init; }

    public string? KeyLabel { get; init; }

    /// <summary>The token's user PIN; when null, <c>$env:VAULT_PKCS11_PIN</c>.</summary>
    public SecureString? Pin { get; init; }

    public bool IsPkcs11 => string.Equals(Kind, Pkcs11KeyProtector.KindName, StringComparison.OrdinalIgnoreCase);

    internal void Validate()
    {
        if (IsPkcs11)
        {
            if (string.IsNullOrWhiteSpace(Pkcs11Library) || string.IsNullOrWhiteSpace(TokenLabel))
            {
                throw VaultErrors.InvalidKeyProtectorOptions("-KeyProtector Pkcs11 needs -Pkcs11Library (the token's PKCS#11 module) and -TokenLabel.");
            }
        }
        else if (!string.Equals(Kind, SoftwareKeyProtector.KindName, StringComparison.OrdinalIgnoreCase))
        {
            throw VaultErrors.InvalidKeyProtectorOptions($"'{Kind}' is not a key protector: use Software or Pkcs11.");
        }
        else if (Pkcs11Library is not null || TokenLabel is not null || KeyLabel is not null || Pin is not null)
        {
            throw VaultErrors.InvalidKeyProtectorOptions("-Pkcs11Library, -TokenLabel, -KeyLabel and -Pin go with -KeyProtector Pkcs11.");
        }
    }
}
