using System.Reflection;

namespace Vault.Bench;

/// <summary>Where the repository, the built module and pwsh are.</summary>
internal static class BenchRepo
{
    /// <summary>The folder holding Vault.sln, found by walking up from the harness's own folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        typeof(BenchRepo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    public static string Manifest { get; } = Path.Combine(Root, "out", "Vault", "Vault.psd1");

    /// <summary>The real pwsh: the PowerShell tool's pwsh.dll (pinned in .config/dotnet-tools.json), run by dotnet.</summary>
    public static string PwshHost { get; } =
        typeof(BenchRepo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "VaultPwshHost").Value!;

    private static string FindRoot()
    {
        // The harness's folder first (bench/Vault.Bench/bin/...), then the working directory.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Vault.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No Vault.sln above '{AppContext.BaseDirectory}' or '{Environment.CurrentDirectory}'.");
    }
}
