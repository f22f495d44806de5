using System.Diagnostics;
using System.Runtime.InteropServices;
using Vault.Bench;

// The Vault benchmark: every figure in one run, then one table. See bench/README.md.
var total = Stopwatch.StartNew();
foreach (var required in new[] { BenchRepo.Manifest, BenchRepo.PwshHost })
{
    if (!File.Exists(required))
    {
        Console.Error.WriteLine($"Missing '{required}': run 'dotnet build -c {BenchRepo.Configuration} Vault.sln' first.");
        return 2;
    }
}

#if DEBUG
Console.Error.WriteLine("warning: a Debug build; the figures that count come from -c Release.");
#endif

Console.WriteLine($"Vault bench: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version} ({RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}), {BenchRepo.Configuration}");
Console.WriteLine($"Module: {BenchRepo.Manifest}");
var loadAtStart = MachineLoad.OneMinute();
Console.WriteLine($"Load average (1 min) at start: {loadAtStart}; the figures assume an otherwise idle machine.");
var table = new ResultTable();

// `-- rbac` runs the RBAC phase alone (section 6), `-- audit` the audit phase alone (section 7),
// `-- step5` the step-5 comparison alone (section 8), `-- step6` the step-6 one (section 9), for work
// on them; the figures that count come from a whole run, which is what the README's table is. Given
// several, those run.
var rbacOnly = args.Contains("rbac");
var auditOnly = args.Contains("audit");
var step5Only = args.Contains("step5");
var step6Only = args.Contains("step6");
var only = rbacOnly || auditOnly || step5Only || step6Only;
if (only)
{
    var phases = string.Join(" and ", new[] { rbacOnly ? "RBAC" : null, auditOnly ? "audit" : null, step5Only ? "step-5" : null, step6Only ? "step-6" : null }.OfType<string>());
    Console.WriteLine($"Only the {phases} phase ({string.Join(" ", args)}).");
    table.Info($"NOTE: only the {phases} phase ran ({string.Join(" ", args)})", "the other sections skipped");
}
else
{
    // The hosted cmdlets run first. In this process they bind to the harness's own Vault.Core (the
    // default load context's copy wins over the module's private one), so a core phase run before
    // them would hand them a Vault.Core already compiled at tier 1 and flatter their figures.
    Console.WriteLine($"Cmdlets in a hosted runspace ({CmdletBench.Count:N0} timed calls each, after {CmdletBench.WarmupCalls} + {CmdletBench.Warmup} warm-up calls)");
    table.Section = 2;
    using (var cmdlets = new CmdletBench())
    {
        if (!CmdletBench.ModuleIsOptimized())
        {
            Console.Error.WriteLine("warning: out/Vault holds a Debug build of the module; run 'dotnet build -c Release Vault.sln' first.");
            table.Info("WARNING: out/Vault is a Debug build", "figures below are not Release figures");
        }

        cmdlets.Measure(table);
        Console.WriteLine($"  Vault.Core as the hosted cmdlets loaded it: {CmdletBench.CoreLoadContext()}");
    }

    Console.WriteLine("Core (Vault.Core directly)");
    table.Section = 1;
    CoreBench.SetAndGet(table);

    Console.WriteLine("Listing");
    table.Section = 3;
    CoreBench.Listing(table);

    Console.WriteLine($"Fresh pwsh processes: Import-Module ({ProcessBench.Runs} runs), then the cmdlet loops in one pwsh process");
    table.Section = 4;
    using (var processes = new ProcessBench())
    {
        processes.Import(table);
        processes.Loops(table);
    }

    // Last, so the phases above run exactly as before: SOFTHSM2_CONF is set (and the library loaded)
    // only from here on.
    table.Section = 5;
    if (SoftHsmToken.Missing() is { } missing)
    {
        Console.Error.WriteLine($"warning: no HSM figures: {missing}.");
        table.Info("WARNING: HSM figures skipped", missing);
    }
    else
    {
        Console.WriteLine($"SoftHSM2: an HSM vault against a software vault in a hosted runspace ({HsmBench.Rounds} rounds of {HsmBench.Block} calls on each, alternating), then fresh pwsh processes");
        using var token = SoftHsmToken.Create();
        using var hsm = new HsmBench();
        hsm.Created(table);
        hsm.CompareGets(table);
        hsm.OpenTimes(table);
        hsm.FillForRotation(table);
        HsmProcessBench.FirstLoad(hsm.Home, token, table);
        HsmProcessBench.Rotation(hsm.Home, token, table);
    }
}

// Role-based access control, after the phases above, so they run exactly as before: the cost of
// a decision over 1,000 assignments, where the per-operation check's time goes in the core, and
// Get-VaultSecret in pwsh against the step-1 module (41f8d51), built (or taken from the cache) here.
if (!only || rbacOnly)
{
    RbacPhase(table);
}

// The audit log, last, so every phase above runs as before: GetSecret with its record against bare
// SQLite, then a million-record log read, verified and exported.
if (!only || auditOnly)
{
    table.Section = 7;
    Console.WriteLine($"Audit: GetSecret and Get-VaultSecret against a bare SQLite INSERT + SELECT ({AuditGetBench.Rounds} rounds of {AuditGetBench.Block} calls each, alternating); then a log of {AuditLogBench.Records:N0} records");
    using (var get = new AuditGetBench())
    {
        get.Compare(table);
        get.Breakdown(table);
    }

    Console.WriteLine($"  load average (1 min) now: {MachineLoad.OneMinute()}");
    using var log = new AuditLogBench();
    log.Fill(table);
    log.Queries(table);
    log.Stream(table);
    log.Verify(table);
    log.Export(table);
    Console.WriteLine($"  load average (1 min) now: {MachineLoad.OneMinute()}");
}

// Step 5 against the commit before it, last, so every phase above runs as before: Get-VaultSecret
// and Set-VaultSecret in pwsh processes and the core's GetSecret in probe processes, old and new
// alternating, the old commit built (or taken from the cache) here.
if (!only || step5Only)
{
    table.Section = 8;
    Console.WriteLine($"Step 5 against {StepBench.Step5.ShortCommit}: Get-VaultSecret and Set-VaultSecret in pwsh processes, core GetSecret in probe processes ({StepBench.WarmupRounds} + {StepBench.Rounds} rounds, old and new alternating); load average (1 min) now: {MachineLoad.OneMinute()}");
    StepBench.Step5.Measure(table);
    Console.WriteLine($"  load average (1 min) now: {MachineLoad.OneMinute()}");
}

// Step 6 (every read and write checks and keeps metadata MACs) against the commit before it, the same way.
if (!only || step6Only)
{
    table.Section = 9;
    Console.WriteLine($"Step 6 against {StepBench.Step6.ShortCommit}: Get-VaultSecret and Set-VaultSecret in pwsh processes, core GetSecret in probe processes ({StepBench.WarmupRounds} + {StepBench.Rounds} rounds, old and new alternating); load average (1 min) now: {MachineLoad.OneMinute()}");
    StepBench.Step6.Measure(table);
    Console.WriteLine($"  load average (1 min) now: {MachineLoad.OneMinute()}");
}

table.Section = 10;
table.Info("bench process peak working set", ResultTable.Bytes(Memory.PeakWorkingSet));
table.Info("bench process GC heap at end / allocated in all", $"{ResultTable.Bytes(GC.GetTotalMemory(false))} / {ResultTable.Bytes(GC.GetTotalAllocatedBytes())}");
table.Info("whole bench run", $"{total.Elapsed.TotalSeconds:0.0} s");
table.Info("machine load average (1 min) at start / end", $"{loadAtStart} / {MachineLoad.OneMinute()} ({Environment.ProcessorCount} cores)");

Console.WriteLine();
table.Print(Console.Out);
return 0;

static void RbacPhase(ResultTable table)
{
    table.Section = 6;
    Console.WriteLine($"RBAC: AccessDecider.Decide over {RbacDecisionBench.Assignments:N0} assignments; the per-operation check in the core; Get-VaultSecret against step 1 ({Step1Module.ShortCommit}) in {RbacProcessBench.Rounds} + {RbacProcessBench.Rounds} alternating pwsh processes");
    var step1Missing = Step1Module.Missing();
    Step1Module? step1 = null;
    if (step1Missing is null)
    {
        var prepare = Stopwatch.StartNew();
        try
        {
            step1 = Step1Module.Get();
            Console.WriteLine($"  step-1 module: {step1.How}; {prepare.Elapsed.TotalSeconds:0.0} s");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            // A failed build of the old commit (no network for its restore, say) costs the comparison, not the run.
            step1Missing = $"the step-1 module could not be built: {ex.Message}";
        }
    }

    RbacDecisionBench.Measure(table);
    RbacCoreBench.Measure(table);
    if (step1 is null)
    {
        Console.Error.WriteLine($"warning: no step-1 comparison: {step1Missing}.");
        table.Info("WARNING: RBAC Get against step 1 skipped", step1Missing!);
    }
    else
    {
        RbacProcessBench.Compare(step1, table);
    }
}
