using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// The Pester suite (tests/pester), one file per test so the run reports each as it ends: each run
/// by Pester 5 in a separate process of the repository's pwsh that knows only the laid-out module,
/// the same scenarios as these xunit tests the way a pwsh user runs them.
/// </summary>
public sealed class PesterTests
{
    private static readonly string Folder = Path.Combine(Repo.Root, "tests", "pester");

    /// <summary>Every *.Tests.ps1 of tests/pester, so a new file is run without being listed here.</summary>
    public static TheoryData<string> Files()
    {
        var files = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Folder, "*.Tests.ps1").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(path));
        }

        return files;
    }

    [Fact]
    public void TheSuiteHasItsFiles() => Assert.True(Directory.GetFiles(Folder, "*.Tests.ps1").Length >= 9, Folder);

    [Theory]
    [MemberData(nameof(Files))]
    public void ThePesterScenariosPass(string file)
    {
        var home = Path.Combine(Path.GetTempPath(), "vault-pester-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var result = PwshProcess.Run(home, TimeSpan.FromMinutes(5), "-Command", $"""
                $ErrorActionPreference = 'Stop'
                Import-Module '{Repo.Pester}'
                $config = New-PesterConfiguration
                $config.Run.Path = '{Path.Combine(Folder, file)}'
                $config.Run.PassThru = $true
                $config.Output.Verbosity = 'Normal'
                $run = Invoke-Pester -Configuration $config
                "PESTER passed=$($run.PassedCount) failed=$($run.FailedCount) skipped=$($run.SkippedCount) notrun=$($run.NotRunCount)"
                """);
            var summary = Regex.Match(result.Stdout, @"PESTER passed=(\d+) failed=(\d+) skipped=(\d+) notrun=(\d+)");
            Assert.True(summary.Success, result.Stdout + result.Stderr);
            Assert.True(summary.Groups[2].Value == "0", result.Stdout);
            Assert.Equal("0", summary.Groups[3].Value);
            Assert.Equal("0", summary.Groups[4].Value);
            Assert.True(int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, result.Stdout);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
