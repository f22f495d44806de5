using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// build.ps1 run as users run it, through pwsh -File in the real pwsh, and the warning a stale copy
/// of the module gives. Nothing here builds: Install takes this configuration's layout as it is
/// (-Configuration <see cref="Repo.Configuration"/> -NoBuild) into temporary modules folders, and
/// out/Vault is only read when that is the configuration under test.
/// </summary>
public sealed class BuildScriptTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly string Script = Path.Combine(Repo.Root, "build.ps1");
    private readonly string temp = Path.Combine(Path.GetTempPath(), "vault-build", Guid.NewGuid().ToString("N"));

    public BuildScriptTests() => Directory.CreateDirectory(temp);

    private string Home => Path.Combine(temp, "home");

    private string Modules => Path.Combine(temp, "modules");

    private string Installed => Path.Combine(Modules, "Vault", Repo.Version);

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Theory]
    [InlineData("-File")]
    [InlineData("-Command")]
    public void AnUnknownTaskInACommaListIsNamedWithTheValidOnesAndNothingRuns(string form)
    {
        var result = form == "-File"
            ? Pwsh(null, "-File", Script, "-Task", "Install,Bogus", "-Configuration", Repo.Configuration, "-NoBuild", "-Destination", Modules)
            : Pwsh(null, "-Command", $"& '{Script}' -Task Install, Bogus -Configuration {Repo.Configuration} -NoBuild -Destination '{Modules}'");

        Assert.NotEqual(0, result.ExitCode);
        var text = Flatten(result.Stderr + result.Stdout);
        Assert.Contains("Unknown task 'Bogus'. The tasks are Build, Test, Package, Install", text);
        Assert.False(Directory.Exists(Modules), "a task ran before the task list was checked");
    }

    [Fact]
    public void InstallThroughFileTakesACommaListAndLeavesAVersionFolder()
    {
        var result = Install(null, "-Task", "install, Install");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Equal(2, Regex.Matches(result.Stdout, Regex.Escape(Repo.Version) + @"\s*$", RegexOptions.Multiline).Count);
        Assert.True(File.Exists(Path.Combine(Installed, "Vault.psd1")), result.Stdout);
        Assert.True(File.Exists(Path.Combine(Installed, "bin", "Vault.PowerShell.dll")));
        Assert.Equal([Repo.Version], Directory.GetFileSystemEntries(Path.Combine(Modules, "Vault")).Select(Path.GetFileName));
        // -Destination is not on this PSModulePath: Install says how to import it.
        Assert.Contains("is not on $env:PSModulePath", Flatten(result.Stdout));
    }

    [Fact]
    public void InstallOverAnUnversionedCopyRemovesItAndImportModuleLoadsTheVersionFolder()
    {
        // What the README's old Install section left after two copies: Vault/Vault.psd1 and Vault/Vault/.
        var vault = Path.Combine(Modules, "Vault");
        CopyModule(vault);
        CopyModule(Path.Combine(vault, "Vault"));

        var result = Install(OnModulePath(Modules));

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var text = Flatten(result.Stdout);
        Assert.Contains($"Removed the unversioned copy of Vault {Repo.Version} at '{vault}'", text);
        Assert.Contains($"Removed the nested copy of Vault {Repo.Version} at '{Path.Combine(vault, "Vault")}'", text);
        Assert.DoesNotContain("WARNING", text);
        Assert.Equal([Repo.Version], Directory.GetFileSystemEntries(vault).Select(Path.GetFileName));

        var import = Pwsh(OnModulePath(Modules), "-Command", "(Import-Module Vault -PassThru).ModuleBase");
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Equal(Installed, import.Stdout.Trim());
    }

    [Fact]
    public void ASecondInstallReplacesTheVersionFolder()
    {
        Assert.Equal(0, Install(null).ExitCode);
        var stray = Path.Combine(Installed, "bin", "stray.dll");
        File.WriteAllText(stray, "left by an older build");

        var again = Install(null);

        Assert.True(again.ExitCode == 0, again.Stderr + again.Stdout);
        Assert.False(File.Exists(stray), "the version folder was not replaced");
        Assert.True(File.Exists(Path.Combine(Installed, "Vault.psd1")));
        Assert.Equal([Repo.Version], Directory.GetFileSystemEntries(Path.Combine(Modules, "Vault")).Select(Path.GetFileName));
    }

    [Fact]
    public void InstallWarnsOfEveryOtherCopyOnPSModulePathAndWhichOneImportModuleLoads()
    {
        var earlier = Path.Combine(temp, "earlier");
        var later = Path.Combine(temp, "later");
        var older = Path.Combine(earlier, "Vault", "0.0.1");
        CopyModule(older, "0.0.1");
        var unversioned = Path.Combine(later, "Vault");
        CopyModule(unversioned);

        var result = Install(OnModulePath(earlier, Modules, later));

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var text = Flatten(result.Stdout);
        Assert.Contains($"WARNING: Import-Module Vault loads Vault 0.0.1 from '{older}', not the Vault {Repo.Version} just installed at '{Installed}': '{earlier}' comes before '{Modules}'", text);
        Assert.Contains($"WARNING: An unversioned copy of Vault {Repo.Version} is also installed, at '{unversioned}'; Import-Module Vault loads Vault 0.0.1 from '{older}'", text);
        Assert.True(Directory.Exists(older) && Directory.Exists(unversioned), "Install removes copies only in its own folder");
    }

    [Fact]
    public void TheFirstCmdletWarnsOnceWhenANewerVersionIsInstalledBesideTheLoadedOne()
    {
        CopyModule(Installed);
        var newer = Path.Combine(Modules, "Vault", "9.9.9");
        CopyModule(newer, "9.9.9");

        var warnings = FirstCmdletWarnings(OnModulePath(Modules), $"Import-Module Vault -RequiredVersion {Repo.Version}");

        Assert.Equal(
            [$"Vault {Repo.Version} is loaded from '{Installed}', but Vault 9.9.9 is installed at '{newer}'. This session keeps {Repo.Version} until it ends: start a new pwsh for 9.9.9 (Import-Module Vault -RequiredVersion 9.9.9), and remove the older copy if Import-Module Vault still finds it first.", "second: 0"],
            warnings);
    }

    [Fact]
    public void TheFirstCmdletWarnsWhenTheLoadedCopyIsAnUnversionedOneThatShadowsAVersionedOne()
    {
        var earlier = Path.Combine(temp, "earlier");
        var unversioned = Path.Combine(earlier, "Vault");
        CopyModule(unversioned);
        CopyModule(Installed);

        var warnings = FirstCmdletWarnings(OnModulePath(earlier, Modules), "Import-Module Vault");

        var warning = Assert.Single(warnings, w => w != "second: 0");
        Assert.StartsWith($"Vault {Repo.Version} is loaded from '{unversioned}', an unversioned copy", warning);
        Assert.Contains($"which shadows Vault {Repo.Version} at '{Installed}'. Delete that copy, or reinstall with 'build.ps1 -Task Install'", warning);
    }

    [Fact]
    public void NoCmdletWarnsWhenOneCopyIsInstalledOrTheModuleIsImportedByPath()
    {
        CopyModule(Installed);
        Assert.Equal(["second: 0"], FirstCmdletWarnings(OnModulePath(Modules), "Import-Module Vault"));

        // A build's layout imported by its path was chosen by path: a newer installed copy does not matter to it.
        CopyModule(Path.Combine(Modules, "Vault", "9.9.9"), "9.9.9");
        Assert.Equal(["second: 0"], FirstCmdletWarnings(OnModulePath(Modules), $"Import-Module '{Repo.Manifest}'"));
    }

    /// <summary>build.ps1 -Task Install of this configuration's layout, unbuilt, into <see cref="Modules"/>; -Task Install unless <paramref name="arguments"/> gives one.</summary>
    private PwshProcess.Result Install(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        Pwsh(environment, ["-File", Script, .. (arguments.Length == 0 ? ["-Task", "Install"] : arguments), "-Configuration", Repo.Configuration, "-NoBuild", "-Destination", Modules]);

    /// <summary>What the first and a second Vault cmdlet of a fresh pwsh warn, after <paramref name="import"/>: the first's warnings, then "second: n".</summary>
    private string[] FirstCmdletWarnings(IReadOnlyDictionary<string, string> environment, string import)
    {
        var result = Pwsh(environment, "-Command", $$"""
            $ErrorActionPreference = 'Stop'
            {{import}}
            $null = Get-VaultContext -WarningVariable first -WarningAction SilentlyContinue
            $null = Get-VaultContext -WarningVariable second -WarningAction SilentlyContinue
            $first | ForEach-Object { "WARNED $($_.Message)" }
            "WARNED second: $($second.Count)"
            """);
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        return result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("WARNED ", StringComparison.Ordinal)).Select(l => l["WARNED ".Length..]).ToArray();
    }

    /// <summary>
    /// The real pwsh with this test's VAULT_HOME and the environment given. Its own modules folder is
    /// moved into the temporary folder (XDG_DATA_HOME, on Linux and macOS), so a Vault installed for
    /// this machine's user is not among the copies it sees.
    /// </summary>
    private PwshProcess.Result Pwsh(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["XDG_DATA_HOME"] = Path.Combine(temp, "data") };
        Directory.CreateDirectory(Home);
        return PwshProcess.Run(Home, variables, Timeout, arguments);
    }

    private static Dictionary<string, string> OnModulePath(params string[] folders) =>
        new() { ["PSModulePath"] = string.Join(Path.PathSeparator, folders) };

    /// <summary>A copy of this configuration's module layout at <paramref name="destination"/>, its manifest saying <paramref name="version"/> when given.</summary>
    private static void CopyModule(string destination, string? version = null)
    {
        foreach (var file in Directory.EnumerateFiles(Repo.ModuleDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(Repo.ModuleDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        if (version is not null)
        {
            var manifest = Path.Combine(destination, "Vault.psd1");
            File.WriteAllText(manifest, Regex.Replace(File.ReadAllText(manifest), @"ModuleVersion\s*=\s*'[^']*'", $"ModuleVersion = '{version}'"));
        }
    }

    /// <summary>pwsh's output with its line wrapping undone, so a long message can be matched whole.</summary>
    private static string Flatten(string text) => Regex.Replace(text, @"\s*\r?\n\s*", " ");
}
