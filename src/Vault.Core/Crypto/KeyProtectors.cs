using System.Security;
using System.Security.Cryptography;
using Vault.Core.Crypto.Pkcs11;

namespace Vault.Core.Crypto;

/// <summary>Opens the key protector a vault file names, or makes a new one.</summary>
internal static class KeyProtectors
{
    /// <summary>The variable unattended runs set to the token's user PIN.</summary>
    public const string PinVariable = "VAULT_PKCS11_PIN";

    /// <summary>
    /// Opens the protector the settings name. For a token, the library is checked against what the
    /// opener trusts before anything is loaded or any PIN is asked for.
    /// </summary>
    public static IKeyProtector Open(KeyProtectorSettings settings, VaultLocation vault, string vaultName, IReadOnlyList<string> trustedLibraries, Func<byte[]> pin)
    {
        switch (settings.Kind)
        {
            case SoftwareKeyProtector.KindName:
                return SoftwareKeyProtector.Open(settings, vault, vaultName);
            case Pkcs11KeyProtector.KindName:
                var library = Pkcs11Trust.Check(settings.Library, trustedLibraries, vaultName);
                var bytes = pin();
                try
                {
                    return Pkcs11KeyProtector.Open(settings with { Library = library }, vaultName, bytes);
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
    public static IKeyProtector Create(KeyProtectorOptions options, VaultLocation vault, string vaultName, bool existingVault, bool freshKey = false, byte[]? pin = null)
    {
        options.Validate();
        if (!options.IsPkcs11)
        {
            return existingVault ? SoftwareKeyProtector.CreateReplacement(vault) : SoftwareKeyProtector.CreateForNewVault(vault);
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
    public static string Describe(KeyProtectorSettings settings, VaultLocation vault) => settings.Kind switch
    {
        SoftwareKeyProtector.KindName => SoftwareKeyProtector.KeyFileFor(vault),
        Pkcs11KeyProtector.KindName => $"token '{settings.TokenLabel}' ({settings.TokenSerial}), key '{settings.KeyLabel}'",
        _ => settings.Kind,
    };

    public static byte[]? PinBytes(SecureString? pin) => pin is null ? null : SecretValue.ToUtf8(pin, "PIN");

    public static byte[]? PinFromEnvironment() =>
        Environment.GetEnvironmentVariable(PinVariable) is { Length: > 0 } pin ? System.Text.Encoding.UTF8.GetBytes(pin) : null;
}
