using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// The Pester suite (tests/pester), run by Pester 5 in a separate pwsh process that knows only
/// out/Vault: the same scenarios as these xunit tests, the way a pwsh user runs them.
/// </summary>
public sealed class PesterTests
{
    [Fact]
    public void ThePesterScenariosPass()
    {
        var home = Path.Combine(Path.GetTempPath(), "vault-pester-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        try
        {
            var result = PwshProcess.Run(home, TimeSpan.FromMinutes(10), "-Command", $"""
                $ErrorActionPreference = 'Stop'
                Import-Module '{Repo.Pester}'
                $config = New-PesterConfiguration
                $config.Run.Path = '{Path.Combine(Repo.Root, "tests", "pester")}'
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
            Assert.True(int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 100, result.Stdout);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
