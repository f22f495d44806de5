namespace Vault.Core.Crypto.Pkcs11;

/// <summary>
/// Which PKCS#11 libraries an opener may load: loading one runs its code as the opener and hands it
/// the PIN, so the choice is never the vault file's. A library is trusted when the opener's own
/// registration names it (given to New-Vault, Register-Vault, Set-VaultKeyProtector or
/// Import-VaultKeyring) or when the machine-wide list does: <c>/etc/vault/pkcs11-libraries</c> on
/// Linux and macOS, <c>%ProgramData%\Vault\pkcs11-libraries</c> on Windows, one full path a line,
/// honoured on Unix only while neither it nor its folder can be written by anyone but its owner.
/// The path in the vault file is a hint that must be one of them.
/// </summary>
internal static class Pkcs11Trust
{
    /// <summary>The machine-wide list. Tests point it at a file of their own.</summary>
    internal static string MachineListPath { get; set; } = OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "Vault", "pkcs11-libraries")
        : "/etc/vault/pkcs11-libraries";

    /// <summary>The library to load: the hint when it is trusted; otherwise Pkcs11LibraryNotTrusted, before anything is loaded.</summary>
    public static string Check(string? hint, IReadOnlyList<string> trusted, string vaultName)
    {
        var wanted = string.IsNullOrEmpty(hint) ? string.Empty : Path.GetFullPath(hint);
        var all = trusted.Concat(MachineList()).ToList();
        if (wanted.Length > 0 && all.Any(t => string.Equals(Path.GetFullPath(t), wanted, StringComparison.Ordinal)))
        {
            return wanted;
        }

        throw VaultErrors.Pkcs11LibraryNotTrusted(vaultName, wanted, trusted, MachineListPath);
    }

    /// <summary>The machine-wide list, or nothing when it is missing or others than its owner could have written it.</summary>
    public static IReadOnlyList<string> MachineList()
    {
        var path = MachineListPath;
        try
        {
            if (!File.Exists(path) || !WritableByOwnerOnly(path) || !WritableByOwnerOnly(Path.GetDirectoryName(path)!))
            {
                return [];
            }

            return File.ReadAllLines(path)
                .Select(l => l.Trim())
                .Where(l => l.Length > 0 && !l.StartsWith('#') && Path.IsPathFullyQualified(l))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool WritableByOwnerOnly(string path) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;
}
