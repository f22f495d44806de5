namespace Vault.PowerShell.Loading;

/// <summary>
/// Says when the copy of Vault this process loaded is a stale one: it is installed on PSModulePath
/// and a newer version is installed too, or it is an unversioned copy (Vault/Vault.psd1, what copying
/// the module folder by hand leaves) beside a versioned one or with a copy nested in it. Looked at
/// once per process, on the first Vault cmdlet rather than at import, which stays as fast as it was;
/// it costs a Directory.Exists per PSModulePath folder and a listing of each Vault folder found, and
/// reads no manifest. A copy imported by path from elsewhere (a build's out/Vault) was chosen by
/// name, so it is not looked at.
/// </summary>
internal static class ModuleCopies
{
    private const string Name = "Vault";
    private const string ManifestName = "Vault.psd1";
    private static int looked;

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>True for the first caller in the process only.</summary>
    public static bool FirstLook() => Interlocked.Exchange(ref looked, 1) == 0;

    /// <summary>
    /// The warning for the copy loaded from <paramref name="moduleBase"/> as <paramref name="version"/>,
    /// given <paramref name="modulePath"/> ($env:PSModulePath); null when there is nothing to say.
    /// </summary>
    public static string? StaleWarning(string moduleBase, Version version, string? modulePath)
    {
        var folders = ModuleFolders(modulePath);
        var loaded = FullPath(moduleBase);
        if (loaded is null || folders.Count == 0)
        {
            return null;
        }

        // Installed as <folder>/Vault/<version>/ or, unversioned, as <folder>/Vault/.
        var parent = Path.GetDirectoryName(loaded);
        var unversioned = Same(Path.GetFileName(loaded), Name) && Contains(folders, parent);
        var versioned = !unversioned && Version.TryParse(Path.GetFileName(loaded), out _) && parent is not null
            && Same(Path.GetFileName(parent), Name) && Contains(folders, Path.GetDirectoryName(parent));
        if (!unversioned && !versioned)
        {
            return null;
        }

        (Version Version, string Path)? newest = null, other = null;
        foreach (var folder in folders)
        {
            foreach (var copy in VersionFolders(Path.Combine(folder, Name)))
            {
                if (Same(copy.Path, loaded))
                {
                    continue;
                }

                if (copy.Version > version && (newest is null || copy.Version > newest.Value.Version))
                {
                    newest = copy;
                }

                other ??= copy;
            }
        }

        if (newest is { } newer)
        {
            return $"Vault {version} is loaded from '{loaded}', but Vault {newer.Version} is installed at '{newer.Path}'. "
                + $"This session keeps {version} until it ends: start a new pwsh for {newer.Version} (Import-Module Vault -RequiredVersion {newer.Version}), "
                + "and remove the older copy if Import-Module Vault still finds it first.";
        }

        if (!unversioned)
        {
            return null;
        }

        var nested = Path.Combine(loaded, Name);
        var shadowed = other is { } copyBeside ? $"Vault {copyBeside.Version} at '{copyBeside.Path}'"
            : File.Exists(Path.Combine(nested, ManifestName)) ? $"the copy nested in it at '{nested}'"
            : null;
        return shadowed is null ? null
            : $"Vault {version} is loaded from '{loaded}', an unversioned copy (its files directly in the Vault folder, as copying the "
                + $"module folder by hand leaves them), which shadows {shadowed}. Delete that copy, or reinstall with 'build.ps1 -Task Install', "
                + "which removes it; then start a new pwsh.";
    }

    /// <summary>The version folders with a manifest in <paramref name="vaultFolder"/>; none when it is missing or unreadable.</summary>
    private static IEnumerable<(Version Version, string Path)> VersionFolders(string vaultFolder)
    {
        if (!Directory.Exists(vaultFolder))
        {
            return [];
        }

        try
        {
            return Directory.EnumerateDirectories(vaultFolder)
                .Select(path => (Parsed: Version.TryParse(Path.GetFileName(path), out var v) ? v : null, Path: path))
                .Where(c => c.Parsed is not null && File.Exists(Path.Combine(c.Path, ManifestName)))
                .Select(c => (c.Parsed!, c.Path))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static List<string> ModuleFolders(string? modulePath)
    {
        var folders = new List<string>();
        foreach (var entry in (modulePath ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (FullPath(entry) is { } folder && !Contains(folders, folder))
            {
                folders.Add(folder);
            }
        }

        return folders;
    }

    private static string? FullPath(string path)
    {
        try
        {
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private static bool Contains(List<string> folders, string? path) =>
        path is not null && folders.Exists(folder => Same(folder, path));

    private static bool Same(string? left, string? right) => string.Equals(left, right, PathComparison);
}
