using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vault.Bench;

/// <summary>
/// Get-VaultSecret with RBAC on (the current module) against the step-1 module (41f8d51), in fresh
/// pwsh processes run alternately, each with a VAULT_HOME of its own: the loops of
/// <see cref="ProcessBench.Loops"/> (every command warmed, then the timed Get -AsPlainText loop, then
/// the steady state after 20,000 more calls), and the core GetSecret called from the same process.
/// </summary>
internal static class RbacProcessBench
{
    /// <summary>Timed rounds; each runs one process per module, the order swapping every round.</summary>
    public const int Rounds = 6;

    /// <summary>One untimed round first: the first start after a build reads every file from disk.</summary>
    public const int WarmupRounds = 1;

    public const int CoreWarmup = 1_000;

    private const string Step1 = "step1";
    private const string Current = "current";

    public static void Compare(Step1Module step1, ResultTable table)
    {
        var manifests = new Dictionary<string, string> { [Step1] = step1.Manifest, [Current] = BenchRepo.Manifest };
        var runs = manifests.Keys.ToDictionary(k => k, _ => new List<Run>());
        for (var r = -WarmupRounds; r < Rounds; r++)
        {
            var order = r % 2 == 0 ? new[] { Step1, Current } : [Current, Step1];
            foreach (var module in order)
            {
                using var home = new TempHome("rbac-" + module);
                var wall = Stopwatch.StartNew();
                var (stdout, _) = PwshProcess.Command(home.Path, Script(manifests[module]));
                var run = Parse(stdout, wall.Elapsed.TotalSeconds);
                if (!string.Equals(Path.GetFullPath(run.ModuleBase), Path.GetDirectoryName(Path.GetFullPath(manifests[module])), StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"The {module} process loaded the module from '{run.ModuleBase}', not '{manifests[module]}'.");
                }

                if (run.HasRbac != (module == Current))
                {
                    throw new InvalidOperationException($"The {module} module {(run.HasRbac ? "has" : "lacks")} Test-VaultAccess.");
                }

                if (r >= 0)
                {
                    runs[module].Add(run);
                }

                Console.WriteLine($"  {(r < 0 ? "warm-up" : $"round {r + 1}")} {module,-7}: Get p50 {ResultTable.Ms(run.Early.P50)}, steady {ResultTable.Ms(run.Steady.P50)}, core from pwsh {ResultTable.Ms(run.Core.P50)}; process {run.WallSeconds:0.0} s");
            }
        }

        Samples Pool(string module, Func<Run, Samples> pick) => new(runs[module].SelectMany(run => pick(run).All));
        var oldEarly = Pool(Step1, r => r.Early);
        var newEarly = Pool(Current, r => r.Early);
        var oldSteady = Pool(Step1, r => r.Steady);
        var newSteady = Pool(Current, r => r.Steady);
        var oldCore = Pool(Step1, r => r.Core);
        var newCore = Pool(Current, r => r.Core);
        var perRound = new Samples(Enumerable.Range(0, Rounds).Select(i => runs[Current][i].Early.P50 / runs[Step1][i].Early.P50));
        var perRoundSteady = new Samples(Enumerable.Range(0, Rounds).Select(i => runs[Current][i].Steady.P50 / runs[Step1][i].Steady.P50));

        table.Target(
            $"Get-VaultSecret -AsPlainText p50 in pwsh, RBAC on ({Rounds} processes, alternating with step 1)",
            $"{ResultTable.Ms(newEarly.P50)} (step 1, {Step1Module.ShortCommit}: {ResultTable.Ms(oldEarly.P50)}; {Ratio(newEarly.P50 / oldEarly.P50)})",
            "<= 0.5 ms",
            newEarly.P50 <= 0.5);
        table.Info("  RBAC on / step 1: per-process p50 ratio, median (min-max)", $"{Ratio(perRound.P50)} ({Ratio(perRound.Percentile(0))}-{Ratio(perRound.Max)})");
        table.Info("  p95 RBAC on / step 1", $"{ResultTable.Ms(newEarly.P95)} / {ResultTable.Ms(oldEarly.P95)}");
        table.Info(
            $"  steady state (after {ProcessBench.SteadyAfter:N0} more calls): p50 RBAC on / step 1",
            $"{ResultTable.Ms(newSteady.P50)} / {ResultTable.Ms(oldSteady.P50)} ({Ratio(newSteady.P50 / oldSteady.P50)}; per process {Ratio(perRoundSteady.Percentile(0))}-{Ratio(perRoundSteady.Max)})");
        table.Info(
            "  core GetSecret called from pwsh, p50 RBAC on / step 1",
            $"{ResultTable.Ms(newCore.P50)} / {ResultTable.Ms(oldCore.P50)} ({(newCore.P50 - oldCore.P50) * 1000:+0.0;-0.0} µs)");
        table.Info($"  step-1 module ({Step1Module.ShortCommit})", step1.How);
        Console.WriteLine($"  pooled over {Rounds} processes each: Get p50 RBAC on {ResultTable.Ms(newEarly.P50)} / step 1 {ResultTable.Ms(oldEarly.P50)}; steady {ResultTable.Ms(newSteady.P50)} / {ResultTable.Ms(oldSteady.P50)}; core from pwsh {ResultTable.Ms(newCore.P50)} / {ResultTable.Ms(oldCore.P50)}");
    }

    /// <summary>
    /// The process: its own vault, then the loops of <see cref="ProcessBench.Loops"/> for Get
    /// -AsPlainText, then the module's own core <c>VaultService.GetSecret</c> in the same loop. The
    /// core is reached by reflection: its types live in the module's load context.
    /// </summary>
    private static string Script(string manifest)
    {
        var plain = LoopScript.Command("get-plain");
        var script = new StringBuilder();
        script.AppendLine("$ErrorActionPreference = 'Stop'");
        script.AppendLine($"Import-Module '{manifest}'");
        script.AppendLine($"$null = New-Vault -Name {BenchValues.VaultName}");
        script.AppendLine($"$secure = ConvertTo-SecureString '{BenchValues.Value}' -AsPlainText -Force");
        script.AppendLine($"$null = Set-VaultSecret -VaultName {BenchValues.VaultName} -Name {BenchValues.SecretName} -SecretValue $secure");
        foreach (var (_, command) in LoopScript.Commands)
        {
            script.AppendLine($"$null = & {{ {LoopScript.For(command)} }} -Warmup {CmdletBench.WarmupCalls} -Count 1");
        }

        script.AppendLine($"$r = & {{ {LoopScript.For(plain)} }} -Warmup {CmdletBench.Warmup} -Count {CmdletBench.Count}");
        script.AppendLine($"if ($r[2] -ne '{BenchValues.Value}') {{ throw 'Get-VaultSecret returned something other than the value' }}");
        script.AppendLine("'LOOP-early ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        script.AppendLine($"$r = & {{ {LoopScript.For(plain)} }} -Warmup {ProcessBench.SteadyAfter} -Count {CmdletBench.Count}");
        script.AppendLine("'LOOP-steady ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        script.AppendLine("$core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Vault.Core' } | Select-Object -First 1");
        script.AppendLine("$svc = $core.GetType('Vault.Core.VaultManager')::new($env:VAULT_HOME, $null).Open('" + BenchValues.VaultName + "')");
        script.AppendLine($"$r = & {{ {LoopScript.For($"$svc.GetSecret('{BenchValues.SecretName}', [NullString]::Value).SecretValue.Dispose()")} }} -Warmup {CoreWarmup} -Count {CmdletBench.Count}");
        script.AppendLine("'LOOP-core ' + ($r[0] -join ',') + ' ' + ($r[1] -join ',')");
        script.AppendLine("'MODULE ' + (Get-Module Vault).ModuleBase");
        script.AppendLine("'RBAC ' + [bool](Get-Command Test-VaultAccess -ErrorAction SilentlyContinue)");
        return script.ToString();
    }

    private static Run Parse(string stdout, double wallSeconds)
    {
        Samples Loop(string label)
        {
            var fields = PwshProcess.Line(stdout, "LOOP-" + label);
            return LoopResult.FromTimestamps(Ticks(fields[0]), Ticks(fields[1])).Samples;
        }

        return new Run(
            Loop("early"),
            Loop("steady"),
            Loop("core"),
            string.Join(' ', PwshProcess.Line(stdout, "MODULE")),
            bool.Parse(PwshProcess.Line(stdout, "RBAC")[0]),
            wallSeconds);
    }

    private static long[] Ticks(string field) => field.Split(',').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private sealed record Run(Samples Early, Samples Steady, Samples Core, string ModuleBase, bool HasRbac, double WallSeconds);
}
