namespace Vault.Core.Crypto;

/// <summary>Finds the key protector a vault file names.</summary>
internal static class KeyProtectors
{
    public static IKeyProtector Open(KeyProtectorSettings settings, string vaultPath, string vaultName) => settings.Kind switch
    {
        SoftwareKeyProtector.KindName => SoftwareKeyProtector.Open(settings, vaultPath, vaultName),
        _ => throw VaultErrors.KeyProtectorUnavailable(vaultName, $"this module does not know the key protector '{settings.Kind}'."),
    };

    /// <summary>Where the protector keeps the root key, for display, without opening it.</summary>
    public static string Describe(KeyProtectorSettings settings, string vaultPath) => settings.Kind switch
    {
        SoftwareKeyProtector.KindName => SoftwareKeyProtector.KeyFileFor(vaultPath),
        _ => settings.Kind,
    };
}
