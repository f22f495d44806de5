using System.Security;
using System.Security.Cryptography;
using Vault.Core.Crypto.Pkcs11;

namespace Vault.Core.Crypto;

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

/// <summary>Opens the key protector a vault file names, or makes a new one.</summary>
internal static class KeyProtectors
{
    /// <summary>The variable unattended runs set to the token's user PIN.</summary>
    public const string PinVariable = "VAULT_PKCS11_PIN";

    public static IKeyProtector Open(KeyProtectorSettings settings, string vaultPath, string vaultName, Func<byte[]> pin)
    {
        switch (settings.Kind)
        {
            case SoftwareKeyProtector.KindName:
                return SoftwareKeyProtector.Open(settings, vaultPath, vaultName);
            case Pkcs11KeyProtector.KindName:
                var bytes = pin();
                try
                {
                    return Pkcs11KeyProtector.Open(settings, vaultName, bytes);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(bytes);
                }

            default:
                throw VaultErrors.KeyProtectorUnavailable(vaultName, $"this module does not know the key protector '{settings.Kind}'.");
        }
    }

    /// <summary>
    /// A root key where the options say, for a new vault (<paramref name="existingVault"/> false) or
    /// one that has a root key already. A token key is found by label unless <paramref name="freshKey"/>.
    /// </summary>
    public static IKeyProtector Create(KeyProtectorOptions options, string vaultPath, string vaultName, bool existingVault, bool freshKey = false, byte[]? pin = null)
    {
        options.Validate();
        if (!options.IsPkcs11)
        {
            return existingVault ? SoftwareKeyProtector.CreateReplacement(vaultPath) : SoftwareKeyProtector.CreateForNewVault(vaultPath);
        }

        var pinBytes = PinBytes(options.Pin) ?? (byte[]?)pin?.Clone() ?? PinFromEnvironment()
            ?? throw VaultErrors.InvalidKeyProtectorOptions($"A PKCS#11 key protector needs the token's user PIN: give -Pin, or set $env:{PinVariable}.");
        try
        {
            return Pkcs11KeyProtector.CreateOrFind(new Pkcs11Options(options.Pkcs11Library!, options.TokenLabel!, options.KeyLabel), vaultName, pinBytes, freshKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pinBytes);
        }
    }

    /// <summary>Where the protector keeps the root key, for display, without opening it.</summary>
    public static string Describe(KeyProtectorSettings settings, string vaultPath) => settings.Kind switch
    {
        SoftwareKeyProtector.KindName => SoftwareKeyProtector.KeyFileFor(vaultPath),
        Pkcs11KeyProtector.KindName => $"token '{settings.TokenLabel}' ({settings.TokenSerial}), key '{settings.KeyLabel}'",
        _ => settings.Kind,
    };

    public static byte[]? PinBytes(SecureString? pin) => pin is null ? null : SecretValue.ToUtf8(pin, "PIN");

    public static byte[]? PinFromEnvironment() =>
        Environment.GetEnvironmentVariable(PinVariable) is { Length: > 0 } pin ? System.Text.Encoding.UTF8.GetBytes(pin) : null;
}
