using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vault.Bench;

/// <summary>
/// A step against the commit before it, in one run: <c>Get-VaultSecret -AsPlainText</c> p50 and
/// <c>Set-VaultSecret</c> versions/s in fresh pwsh processes, and the core's GetSecret with its audit
/// record in fresh <see cref="CoreProbe"/> processes. Each round runs one pwsh process per side,
/// then one probe process per side, the order swapping every round, so the same machine noise falls
/// on both. <see cref="Step5"/>: the core's refactoring (a storage seam, one barrier, one operation
/// runner, VaultEngine) against 7c05677, target within 5%. <see cref="Step6"/>: authenticated
/// metadata (every read and write checks and keeps MACs) against 1beb025, target within 10%.
/// </summary>
internal sealed class StepBench(string step, string commit, string subject, double within, string marker, bool probeHasEngineBefore)
{
    /// <summary>"Cmdlet test: an operation whose audit record cannot be written stops with AuditWriteFailed ...", the last commit before step 5.</summary>
    public static StepBench Step5 { get; } = new(
        "step5", "7c05677c18cf01975a0e0670383d7bde06dd49d4", "Cmdlet test: an operation whose audit record cannot be written stops with AuditWriteFailed",
        1.05, "Vault.Core.VaultEngine", probeHasEngineBefore: false);

    /// <summary>"Storage interfaces say how names compare and order", the last commit before step 6.</summary>
    public static StepBench Step6 { get; } = new(
        "step6", "1beb025b6c9500bbe0693829a2bcf997dca3651f", "Storage interfaces say how names compare and order",
        1.10, "Vault.Core.Integrity.VaultVerifier", probeHasEngineBefore: true);

    /// <summary>Timed rounds; each runs a pwsh process and a probe process per side.</summary>
    public const int Rounds = 8;

    /// <summary>One untimed round first: the first start after a build reads every file from disk.</summary>
    public const int WarmupRounds = 1;

    public const int ProbeWarmup = 5_000;

    public const int ProbeCount = 10_000;

    private const string Before = "before";

    /// <summary>New / before, at most ("within 5%", "within 10%" of before). For a rate, before / new.</summary>
    public double Within { get; } = within;

    private string Current { get; } = step;

    /// <summary>A type only the new side's Vault.Core has: the check that each process ran the side it was meant to.</summary>
    private string Marker { get; } = marker;

    public CommitBuild BeforeBuild { get; } = new(step, commit, subject);

    public string ShortCommit => BeforeBuild.ShortCommit;

    /// <summary>Builds (or takes from the cache) both sides, then compares them; a side that cannot be built costs the comparison, not the run.</summary>
    public void Measure(ResultTable table)
    {
        var probe = CoreProbe.InRepository();
        if (BeforeBuild.Missing() is { } missing)
        {
            Console.Error.WriteLine($"warning: no {Current} comparison: {missing}.");
            table.Info($"WARNING: {Current} comparison skipped", missing);
            return;
        }

        CommitBuild.Built before;
        using var currentProbe = new TempHome("probe-current");
        string currentHow;
        try
        {
            var prepare = Stopwatch.StartNew();
            before = BeforeBuild.Get(probe);
            Console.WriteLine($"  before ({ShortCommit}): {before.How}; {prepare.Elapsed.TotalSeconds:0.0} s");

            // The current side is the working tree, as out/Vault is: built every run (its Vault.Core
            // is up to date after the solution build, so only the probe compiles).
            var took = probe.Build(Path.Combine(BenchRepo.Root, "src", "Vault.Core", "Vault.Core.csproj"), currentProbe.Path, "the working tree");
            currentHow = string.Create(CultureInfo.InvariantCulture, $"built now against the working tree's src/Vault.Core in {took.TotalSeconds:0.0} s");
            Console.WriteLine($"  current probe: {currentHow}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            Console.Error.WriteLine($"warning: no {Current} comparison: {ex.Message}");
            table.Info($"WARNING: {Current} comparison skipped", $"a build failed: {ex.Message}");
            return;
        }

        Compare(before, Path.Combine(currentProbe.Path, CoreProbe.Dll), currentHow, probe.SourceHash, table);
    }

    private void Compare(CommitBuild.Built before, string currentProbe, string currentHow, string probeHash, ResultTable table)
    {
        var manifests = new Dictionary<string, string> { [Before] = before.Manifest, [Current] = BenchRepo.Manifest };
        var probes = new Dictionary<string, string> { [Before] = before.Probe!, [Current] = currentProbe };
        var shells = manifests.Keys.ToDictionary(k => k, _ => new List<ShellRun>());
        var cores = manifests.Keys.ToDictionary(k => k, _ => new List<CoreProbe.Run>());
        var phase = Stopwatch.StartNew();
        for (var r = -WarmupRounds; r < Rounds; r++)
        {
            var order = r % 2 == 0 ? new[] { Before, Current } : [Current, Before];
            var round = r < 0 ? "warm-up" : $"round {r + 1}";
            foreach (var side in order)
            {
                using var home = new TempHome(Current + "-" + side);
                var wall = Stopwatch.StartNew();
                var (stdout, _) = PwshProcess.Command(home.Path, Script(manifests[side], Marker));
                var run = Parse(stdout, wall.Elapsed.TotalSeconds);
                Check(side, run.ModuleBase, Path.GetDirectoryName(Path.GetFullPath(manifests[side]))!, run.HasEngine, side == Current, "module", Marker);
                if (r >= 0)
                {
                    shells[side].Add(run);
                }

                Console.WriteLine($"  {round} {side,-6} pwsh : Get p50 {ResultTable.Ms(run.Get.Samples.P50)} p95 {ResultTable.Ms(run.Get.Samples.P95)}, Set {ResultTable.PerSecond(run.Set.CallsPerSecond, "versions")}; process {run.WallSeconds:0.0} s");
            }

            foreach (var side in order)
            {
                var run = CoreProbe.Measure(probes[side], ProbeWarmup, ProbeCount);
                Check(side, Path.GetDirectoryName(run.CoreLocation)!, Path.GetDirectoryName(probes[side])!, run.HasEngine, side == Current || probeHasEngineBefore, "probe's Vault.Core", "Vault.Core.VaultEngine");
                if (r >= 0)
                {
                    cores[side].Add(run);
                }

                Console.WriteLine($"  {round} {side,-6} probe: GetSecret p50 {Us(run.Samples.P50)} p95 {Us(run.Samples.P95)}, {ResultTable.PerSecond(run.PerSecond, "ops")}; VmHWM {ResultTable.Bytes(run.PeakResident)}; process {run.WallSeconds:0.0} s");
            }
        }

        Samples Pool<T>(Dictionary<string, List<T>> runs, string side, Func<T, Samples> pick) => new(runs[side].SelectMany(run => pick(run).All));
        Samples PerRound<T>(Dictionary<string, List<T>> runs, Func<T, double> pick) =>
            new(Enumerable.Range(0, Rounds).Select(i => pick(runs[Current][i]) / pick(runs[Before][i])));

        // Get: every process's timed calls pooled, p50 of the pool.
        var oldGet = Pool(shells, Before, r => r.Get.Samples);
        var newGet = Pool(shells, Current, r => r.Get.Samples);
        var getRatio = newGet.P50 / oldGet.P50;
        var getPerRound = PerRound(shells, r => r.Get.Samples.P50);

        // Set: all versions written over all the timed loops' time; the per-round figure is new / before.
        double Rate(string side) => shells[side].Sum(r => r.Set.Samples.Count) / (shells[side].Sum(r => r.Set.LoopMs) / 1000.0);
        var oldSet = Rate(Before);
        var newSet = Rate(Current);
        var setRatio = newSet / oldSet;
        var setPerRound = PerRound(shells, r => r.Set.CallsPerSecond);
        var oldSetCall = Pool(shells, Before, r => r.Set.Samples);
        var newSetCall = Pool(shells, Current, r => r.Set.Samples);

        // The core: the probes' timed calls pooled.
        var oldCore = Pool(cores, Before, r => r.Samples);
        var newCore = Pool(cores, Current, r => r.Samples);
        var coreRatio = newCore.P50 / oldCore.P50;
        var corePerRound = PerRound(cores, r => r.Samples.P50);
        var oldOps = new Samples(cores[Before].Select(r => r.PerSecond));
        var newOps = new Samples(cores[Current].Select(r => r.PerSecond));
        var oldHwm = new Samples(cores[Before].Select(r => (double)r.PeakResident));
        var newHwm = new Samples(cores[Current].Select(r => (double)r.PeakResident));
        var oldPeak = new Samples(shells[Before].Select(r => (double)r.PeakWorkingSet));
        var newPeak = new Samples(shells[Current].Select(r => (double)r.PeakWorkingSet));

        var against = $"before, {ShortCommit}";
        table.Target(
            $"{Current[..4]} {Current[4..]}: Get-VaultSecret -AsPlainText p50 in pwsh, new / before ({Rounds} processes each, alternating)",
            $"{Ratio(getRatio)} (new {ResultTable.Ms(newGet.P50)}, {against}: {ResultTable.Ms(oldGet.P50)})",
            $"<= {Ratio(Within)}",
            getRatio <= Within);
        table.Info("  per-process p50 ratio new / before, median (min-max)", Spread(getPerRound));
        table.Info("  Get-VaultSecret p95 new / before", $"{ResultTable.Ms(newGet.P95)} / {ResultTable.Ms(oldGet.P95)}");
        table.Target(
            $"{Current[..4]} {Current[4..]}: Set-VaultSecret versions/s in pwsh, new / before ({Rounds} processes each, alternating)",
            $"{Ratio(setRatio)} (new {ResultTable.PerSecond(newSet, "versions")}, {against}: {ResultTable.PerSecond(oldSet, "versions")})",
            $">= {Ratio(1 / Within)} (1 / {Ratio(Within)})",
            setRatio >= 1 / Within);
        table.Info("  per-process versions/s ratio new / before, median (min-max)", Spread(setPerRound));
        table.Info("  Set-VaultSecret p50 / p95, new / before", $"{ResultTable.Ms(newSetCall.P50)} / {ResultTable.Ms(newSetCall.P95)}, {ResultTable.Ms(oldSetCall.P50)} / {ResultTable.Ms(oldSetCall.P95)}");
        table.Target(
            $"{Current[..4]} {Current[4..]}: core GetSecret (with its audit record) p50, new / before ({Rounds} probe processes each, alternating)",
            $"{Ratio(coreRatio)} (new {Us(newCore.P50)}, {against}: {Us(oldCore.P50)})",
            $"<= {Ratio(Within)}",
            coreRatio <= Within);
        table.Info("  per-process p50 ratio new / before, median (min-max)", Spread(corePerRound));
        table.Info("  core GetSecret p95 / ops/s (median of processes), new / before", $"{Us(newCore.P95)} / {ResultTable.PerSecond(newOps.P50, "ops")}, {Us(oldCore.P95)} / {ResultTable.PerSecond(oldOps.P50, "ops")}");
        table.Info(
            "  peak memory, median: probe VmHWM / pwsh peak working set, new / before",
            $"{ResultTable.Bytes((long)newHwm.P50)} / {ResultTable.Bytes((long)newPeak.P50)}, {ResultTable.Bytes((long)oldHwm.P50)} / {ResultTable.Bytes((long)oldPeak.P50)}");
        table.Info($"  before ({ShortCommit}): module and probe", before.How);
        table.Info($"  new: module out/Vault; probe (source {probeHash})", currentHow);
        Console.WriteLine($"  pooled: Get p50 new {ResultTable.Ms(newGet.P50)} / before {ResultTable.Ms(oldGet.P50)} ({Ratio(getRatio)}); Set new {ResultTable.PerSecond(newSet, "versions")} / before {ResultTable.PerSecond(oldSet, "versions")} ({Ratio(setRatio)}); core GetSecret p50 new {Us(newCore.P50)} / before {Us(oldCore.P50)} ({Ratio(coreRatio)}); {phase.Elapsed.TotalSeconds:0} s");
    }

    /// <summary>That a process ran the side it was meant to: loaded from where it should, with <paramref name="marker"/> only where expected.</summary>
    private static void Check(string side, string loadedFrom, string expected, bool hasMarker, bool expectMarker, string what, string marker)
    {
        if (!string.Equals(Path.GetFullPath(loadedFrom), Path.GetFullPath(expected), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The {side} process's {what} came from '{loadedFrom}', not '{expected}'.");
        }

        if (hasMarker != expectMarker)
        {
            throw new InvalidOperationException($"The {side} process's {what} {(hasMarker ? "has" : "lacks")} {marker}.");
        }
    }

    /// <summary>
    /// The process: its own vault; Get -AsPlainText and Set each warmed as the RBAC phase warms them
    /// (<see cref="CmdletBench.WarmupCalls"/> calls); then the timed loops of phase 1, Get first.
    /// </summary>
    private static string Script(string manifest, string marker)
    {
        var script = new StringBuilder();
        script.AppendLine("$ErrorActionPreference = 'Stop'");
        script.AppendLine($"Import-Module '{manifest}'");
        script.AppendLine($"$null = New-Vault -Name {BenchValues.VaultName}");
        script.AppendLine($"$secure = ConvertTo-SecureString '{BenchValues.Value}' -AsPlainText -Force");
        script.AppendLine($"$null = {LoopScript.Command("set")}");
        foreach (var label in new[] { "get-plain", "set" })
        {
            script.AppendLine($"$null = & {{ {LoopScript.For(LoopScript.Command(label))} }} -Warmup {CmdletBench.WarmupCalls} -Count 1");
        }

        script.AppendLine($"$r = & {{ {LoopScript.For(LoopScript.Command("get-plain"))} }} -Warmup {CmdletBench.Warmup} -Count {CmdletBench.Count}");
        script.AppendLine($"if ($r[2] -ne '{BenchValues.Value}') {{ throw 'Get-VaultSecret returned something other than the value' }}");
        script.AppendLine("'LOOP-get ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        script.AppendLine($"$r = & {{ {LoopScript.For(LoopScript.Command("set"))} }} -Warmup {CmdletBench.Warmup} -Count {CmdletBench.Count}");
        script.AppendLine("'LOOP-set ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        script.AppendLine("'MODULE ' + (Get-Module Vault).ModuleBase");
        script.AppendLine("$core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Vault.Core' } | Select-Object -First 1");
        script.AppendLine($"'ENGINE ' + [bool]$core.GetType('{marker}')");
        script.AppendLine("'PEAK ' + [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64");
        return script.ToString();
    }

    private static ShellRun Parse(string stdout, double wallSeconds)
    {
        LoopResult Loop(string label)
        {
            var fields = PwshProcess.Line(stdout, "LOOP-" + label);
            return LoopResult.FromTimestamps(Ticks(fields[0]), Ticks(fields[1]));
        }

        return new ShellRun(
            Loop("get"),
            Loop("set"),
            string.Join(' ', PwshProcess.Line(stdout, "MODULE")),
            bool.Parse(PwshProcess.Line(stdout, "ENGINE")[0]),
            long.Parse(PwshProcess.Line(stdout, "PEAK")[0], CultureInfo.InvariantCulture),
            wallSeconds);
    }

    private static long[] Ticks(string field) => field.Split(',').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    private static string Ratio(double ratio) => ratio.ToString("0.000", CultureInfo.InvariantCulture) + "x";

    private static string Spread(Samples ratios) => $"{Ratio(ratios.P50)} ({Ratio(ratios.Percentile(0))}-{Ratio(ratios.Max)})";

    private static string Us(double ms) => (ms * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " µs";

    private sealed record ShellRun(LoopResult Get, LoopResult Set, string ModuleBase, bool HasEngine, long PeakWorkingSet, double WallSeconds);
}
