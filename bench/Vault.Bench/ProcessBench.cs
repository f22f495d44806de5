using System.Globalization;
using System.Text;
using Vault.Core;

namespace Vault.Bench;

/// <summary>
/// Fresh pwsh processes: Import-Module timed inside the process (so process start-up is excluded),
/// then the first Get-VaultSecret on an existing vault; and the cmdlet loops once more in a pwsh
/// process, where the module's Vault.Core loads into its own load context as for a user.
/// </summary>
internal sealed class ProcessBench : IDisposable
{
    public const int Runs = 7;

    /// <summary>Calls before the steady-state sample: tiered JIT takes some seconds of calls to settle in pwsh.</summary>
    public const int SteadyAfter = 20_000;

    private readonly TempHome home;
    private readonly VaultManager manager;

    public ProcessBench()
    {
        home = new TempHome("pwsh");
        manager = new VaultManager(home.Path);
        manager.CreateVault(BenchValues.VaultName);
        using var secure = BenchValues.SecureValue();
        manager.Open(BenchValues.VaultName).SetSecret(BenchValues.SecretName, secure);
    }

    public void Import(ResultTable table)
    {
        var script = $$"""
            $ErrorActionPreference = 'Stop'
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            Import-Module '{{BenchRepo.Manifest}}'
            $import = $sw.Elapsed.TotalMilliseconds
            $value = Get-VaultSecret -VaultName {{BenchValues.VaultName}} -Name {{BenchValues.SecretName}} -AsPlainText
            $first = $sw.Elapsed.TotalMilliseconds
            if ($value -ne '{{BenchValues.Value}}') { throw 'wrong value' }
            $inv = [System.Globalization.CultureInfo]::InvariantCulture
            'TIMES {0} {1}' -f $import.ToString($inv), $first.ToString($inv)
            """;

        // One run first, untimed: the first start after a build reads every file from disk.
        PwshProcess.Command(home.Path, script);
        var runs = new List<(double ImportMs, double FirstMs, double WallMs)>();
        for (var i = 0; i < Runs; i++)
        {
            var (stdout, wallMs) = PwshProcess.Command(home.Path, script);
            var times = PwshProcess.Line(stdout, "TIMES").Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            runs.Add((times[0], times[1], wallMs));
        }

        var import = new Samples(runs.Select(r => r.ImportMs));
        var first = new Samples(runs.Select(r => r.FirstMs));
        var getOnly = new Samples(runs.Select(r => r.FirstMs - r.ImportMs));
        var wall = new Samples(runs.Select(r => r.WallMs));

        table.Target($"Import-Module, fresh pwsh process (median of {Runs})", ResultTable.Ms(import.P50), "<= 250 ms", import.P50 <= 250);
        table.Info("Import-Module min / max", $"{ResultTable.Ms(import.Percentile(0))} / {ResultTable.Ms(import.Max)}");
        table.Info($"Import-Module + first Get-VaultSecret (median of {Runs})", $"{ResultTable.Ms(first.P50)} (the first Get alone: {ResultTable.Ms(getOnly.P50)})");
        table.Info("  whole pwsh process, start to exit (median)", ResultTable.Ms(wall.P50));
        Console.WriteLine($"  Import-Module (ms): {Join(runs.Select(r => r.ImportMs))}; Import-Module + first Get (ms): {Join(runs.Select(r => r.FirstMs))}");
    }

    /// <summary>The same loops as the hosted runspace, in a pwsh process: a check that hosting changed nothing.</summary>
    public void Loops(ResultTable table)
    {
        var script = new StringBuilder();
        script.AppendLine("$ErrorActionPreference = 'Stop'");
        script.AppendLine($"Import-Module '{BenchRepo.Manifest}'");
        script.AppendLine($"$secure = ConvertTo-SecureString '{BenchValues.Value}' -AsPlainText -Force");
        foreach (var (_, command) in LoopScript.Commands)
        {
            script.AppendLine($"$null = & {{ {LoopScript.For(command)} }} -Warmup {CmdletBench.WarmupCalls} -Count 1");
        }

        foreach (var (label, command) in LoopScript.Commands)
        {
            script.AppendLine($"$r = & {{ {LoopScript.For(command)} }} -Warmup {CmdletBench.Warmup} -Count {CmdletBench.Count}");
            script.AppendLine($"'LOOP-{label} ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        }

        script.AppendLine($"$r = & {{ {LoopScript.For(LoopScript.Command("get-object"))} }} -Warmup {SteadyAfter} -Count {CmdletBench.Count}");
        script.AppendLine("'LOOP-steady ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");

        var (stdout, _) = PwshProcess.Command(home.Path, script.ToString());
        LoopResult Parse(string label)
        {
            var fields = PwshProcess.Line(stdout, "LOOP-" + label);
            return LoopResult.FromTimestamps(Ticks(fields[0]), Ticks(fields[1]));
        }

        var plain = Parse("get-plain");
        var secret = Parse("get-object");
        var set = Parse("set");
        var steady = Parse("steady");
        table.Info("  same loops in a pwsh process: Get -AsPlainText / Get p50", $"{ResultTable.Ms(plain.Samples.P50)} / {ResultTable.Ms(secret.Samples.P50)}");
        table.Info("  same loops in a pwsh process: Set-VaultSecret", $"{ResultTable.PerSecond(set.CallsPerSecond, "versions")} (p50 {ResultTable.Ms(set.Samples.P50)})");
        table.Info($"  in pwsh, steady state: Get p50 / p95 after {SteadyAfter:N0} more calls", $"{ResultTable.Ms(steady.Samples.P50)} / {ResultTable.Ms(steady.Samples.P95)}");
        Console.WriteLine($"  in pwsh: Get -AsPlainText p50 {ResultTable.Ms(plain.Samples.P50)} p95 {ResultTable.Ms(plain.Samples.P95)}; Get p50 {ResultTable.Ms(secret.Samples.P50)} p95 {ResultTable.Ms(secret.Samples.P95)}; Set {ResultTable.PerSecond(set.CallsPerSecond, "versions")}; steady Get p50 {ResultTable.Ms(steady.Samples.P50)}");
    }

    public void Dispose()
    {
        manager.RemoveVault(BenchValues.VaultName);
        home.Dispose();
    }

    private static long[] Ticks(string field) => field.Split(',').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("0", CultureInfo.InvariantCulture)));
}
