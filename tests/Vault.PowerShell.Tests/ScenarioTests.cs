using System.Collections.Concurrent;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Scenarios in separate processes of the repository's pwsh (the PowerShell tool) that know only the
/// laid-out module (<see cref="Repo.ModuleDir"/>), so a packaging mistake cannot hide behind this test
/// process's bin folder.
/// </summary>
public sealed class ScenarioTests : IDisposable
{
    private const string ConnectionString = "Server=172.17.0.2;database=CreditUnion;uid=credituser;pwd=dev$3c0psForTheWin";
    private static readonly string QuickStart = Path.Combine(Repo.Root, "docs", "quickstart.ps1");
    private readonly VaultShell shell = new();

    public void Dispose() => shell.Dispose();

    [Fact]
    public void TheQuickStartRunsAsWrittenInAFreshPwsh()
    {
        var first = PwshProcess.Run(shell.Home, TimeSpan.FromMinutes(2), "-File", QuickStart, "-ModulePath", Repo.Manifest);
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        Assert.Equal(string.Empty, first.Stderr);
        Assert.Contains("Database", first.Stdout);
        Assert.Contains("connection-string", first.Stdout);
        Assert.Equal(ConnectionString, first.Stdout.TrimEnd().Split('\n')[^1].TrimEnd('\r'));

        // Again: the vault exists, so the secret gets a second version.
        var second = PwshProcess.Run(shell.Home, TimeSpan.FromMinutes(2), "-File", QuickStart, "-ModulePath", Repo.Manifest);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(2, shell.Run("Get-VaultSecret sans-creditunion-vault Database -IncludeVersions").Succeeded().Output.Count);
        VaultFiles.AssertNoPlaintext(shell.Home, [ConnectionString]);
    }

    [Fact]
    public void TheQuickStartRunsInTheHostedRunspaceToo()
    {
        var result = shell.Run($"& '{QuickStart}' -ModulePath '{Repo.Manifest}'").Succeeded();
        Assert.Equal(ConnectionString, result.Output[^1].BaseObject);
    }

    [Fact]
    public void ParallelProcessesWritingOneVaultLoseNoVersion()
    {
        shell.Run("New-Vault busy-vault | Out-Null").Succeeded();
        const int processes = 4;
        const int perProcess = 40;
        var script = $"$ErrorActionPreference = 'Stop'; Import-Module '{Repo.Manifest}'; " +
            $"1..{perProcess} | ForEach-Object {{ (Set-VaultSecret -VaultName busy-vault -Name shared -SecretValue \"p$PID-$_\" -PassThru).Version; Set-VaultSecret busy-vault \"own-$PID\" \"$_\" }}";
        var children = Enumerable.Range(0, processes).Select(_ => PwshProcess.Start(shell.Home, "-Command", script)).ToList();
        var acknowledged = new ConcurrentBag<string>();
        Parallel.ForEach(children, child =>
        {
            var stderrRead = child.StandardError.ReadToEndAsync();
            var stdout = child.StandardOutput.ReadToEnd();
            var stderr = stderrRead.Result;
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(3)), "a writer hung");
            Assert.True(child.ExitCode == 0, stderr);
            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                acknowledged.Add(line);
            }

            child.Dispose();
        });

        Assert.Equal(processes * perProcess, acknowledged.Count);
        var stored = shell.Run("Get-VaultSecret busy-vault shared -IncludeVersions | ForEach-Object Version").Succeeded().Output.Select(o => o.ToString());
        Assert.Equal(acknowledged.Order(), stored.Order());
        Assert.Equal(processes + 1, shell.Run("Get-VaultSecret busy-vault").Output.Count);
    }

    [Fact]
    public void AnAcknowledgedWriteSurvivesAKilledProcess()
    {
        shell.Run("New-Vault kill-vault | Out-Null").Succeeded();
        // The writer prints each version only after Set-VaultSecret has returned: that is the acknowledgement.
        var script = $"Import-Module '{Repo.Manifest}'; $i = 0; while ($true) {{ $i++; " +
            "$v = Set-VaultSecret -VaultName kill-vault -Name counter -SecretValue \"n$i\" -PassThru; [Console]::Out.WriteLine(\"$i $($v.Version)\"); [Console]::Out.Flush() }";
        using var writer = PwshProcess.Start(shell.Home, "-Command", script);
        var stderr = new System.Text.StringBuilder();
        writer.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        writer.BeginErrorReadLine();
        var acknowledged = new List<(string Value, string Version)>();
        while (acknowledged.Count < 150)
        {
            var line = writer.StandardOutput.ReadLine();
            Assert.True(line is not null, "the writer stopped: " + stderr);
            var parts = line!.Split(' ');
            acknowledged.Add(("n" + parts[0], parts[1]));
        }

        writer.Kill(entireProcessTree: true); // SIGKILL: no finalizers, no checkpoint, no clean close
        Assert.True(writer.WaitForExit(TimeSpan.FromMinutes(1)), "the writer survived SIGKILL");

        var stored = shell.Run("Get-VaultSecret kill-vault counter -IncludeVersions | ForEach-Object Version").Succeeded().Output.Select(o => o.ToString()).ToHashSet();
        Assert.All(acknowledged, a => Assert.Contains(a.Version, stored));
        foreach (var (value, version) in acknowledged.Where((_, i) => i % 25 == 0).Append(acknowledged[^1]))
        {
            Assert.Equal(value, shell.Run($"Get-VaultSecret kill-vault counter -Version {version} -AsPlainText").Succeeded().Single().BaseObject);
        }
    }

    [Fact]
    public void LocalTimesAreComparedAsTheInstantsTheyAre()
    {
        // Berlin is ahead of UTC: a naive comparison of local "now" with a UTC time 30 minutes on
        // would call NotBefore later than Expires.
        var result = PwshProcess.Run(shell.Home, new Dictionary<string, string> { ["TZ"] = "Europe/Berlin" }, TimeSpan.FromMinutes(2), "-Command",
            $"$ErrorActionPreference = 'Stop'; Import-Module '{Repo.Manifest}'; New-Vault tz-vault | Out-Null; " +
            "if ([TimeZoneInfo]::Local.BaseUtcOffset -eq [TimeSpan]::Zero) { throw 'TZ had no effect' }; " +
            "$expires = [datetime]::UtcNow.AddMinutes(30); Set-VaultSecret tz-vault db 'v' -NotBefore (Get-Date) -Expires $expires; " +
            "(Get-VaultSecret tz-vault db).Expires.ToString('o'); $expires.ToString('yyyy-MM-ddTHH:mm:ss.fff')");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith(lines[1], lines[0]);
        Assert.EndsWith("Z", lines[0]);
    }
}
