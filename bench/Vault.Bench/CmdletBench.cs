using System.Management.Automation;
using System.Runtime.Loader;

namespace Vault.Bench;

/// <summary>
/// The cmdlets in a warm hosted runspace that imported out/Vault/Vault.psd1, each call timed
/// inside one script loop (<see cref="LoopScript"/>), as a runbook calls them.
/// </summary>
internal sealed class CmdletBench : IDisposable
{
    public const int WarmupCalls = 500;
    public const int Warmup = 200;
    public const int Count = 2_000;

    private readonly TempHome home;
    private readonly HostedRunspace runspace;

    public CmdletBench()
    {
        home = new TempHome("cmdlets");
        Environment.SetEnvironmentVariable("VAULT_HOME", home.Path);
        runspace = new HostedRunspace();
        runspace.Run($"""
            New-Vault -Name {BenchValues.VaultName} | Out-Null
            $secure = ConvertTo-SecureString '{BenchValues.Value}' -AsPlainText -Force
            {LoopScript.Command("set")}
            """);
    }

    /// <summary>Where the cmdlets' Vault.Core came from: the module's own load context is named "Vault".</summary>
    public static string CoreLoadContext() => string.Join("; ", AssemblyLoadContext.All
        .SelectMany(c => c.Assemblies.Select(a => (Context: c, Assembly: a)))
        .Where(x => x.Assembly.GetName().Name == "Vault.Core")
        .Select(x => $"{x.Context.Name} ({Path.GetRelativePath(BenchRepo.Root, x.Assembly.Location)})"));

    /// <summary>
    /// Whether the imported out/Vault is an optimized build: out/Vault holds whichever configuration
    /// built last, and a Debug module would make every cmdlet figure meaningless.
    /// </summary>
    public static bool ModuleIsOptimized()
    {
        var module = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "Vault.PowerShell");
        return module.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .Cast<System.Diagnostics.DebuggableAttribute>()
            .All(d => !d.IsJITOptimizerDisabled);
    }

    public void Measure(ResultTable table)
    {
        // Every loop once before any is timed: with tiered JIT, whichever loop ran first would
        // otherwise pay for tier-0 code that a later loop no longer runs.
        foreach (var (_, command) in LoopScript.Commands)
        {
            Loop(command, WarmupCalls, out _);
        }

        var plain = Loop(LoopScript.Command("get-plain"), Count, out var plainResult);
        if (!BenchValues.Value.Equals(plainResult?.BaseObject))
        {
            throw new InvalidOperationException("Get-VaultSecret -AsPlainText returned something other than the value.");
        }

        var secret = Loop(LoopScript.Command("get-object"), Count, out var secretResult);
        if (secretResult?.BaseObject.GetType().FullName != "Vault.VaultSecret")
        {
            throw new InvalidOperationException($"Get-VaultSecret returned a {secretResult?.BaseObject.GetType().FullName}.");
        }

        var set = Loop(LoopScript.Command("set"), Count, out _);

        // What the loop and any binary cmdlet cost on their own, to place the Vault figures.
        var empty = Loop("$null", Count, out _);
        var anyCmdlet = Loop("Get-Variable -Name secure -ValueOnly", Count, out _);

        table.Target("Get-VaultSecret -AsPlainText p50 (hosted, warm)", ResultTable.Ms(plain.Samples.P50), "<= 0.5 ms", plain.Samples.P50 <= 0.5);
        table.Info("Get-VaultSecret -AsPlainText p95", ResultTable.Ms(plain.Samples.P95));
        table.Target("Get-VaultSecret (SecureString object) p50", ResultTable.Ms(secret.Samples.P50), "<= 0.5 ms", secret.Samples.P50 <= 0.5);
        table.Info("Get-VaultSecret (SecureString object) p95", ResultTable.Ms(secret.Samples.P95));
        table.Target("Set-VaultSecret versions/s over the loop (one process)", ResultTable.PerSecond(set.CallsPerSecond, "versions"), ">= 2,000/s", set.CallsPerSecond >= 2000);
        table.Info("Set-VaultSecret p50 / p95", $"{ResultTable.Ms(set.Samples.P50)} / {ResultTable.Ms(set.Samples.P95)}");
        table.Info("  floor: empty loop body p50", ResultTable.Ms(empty.Samples.P50));
        table.Info("  floor: Get-Variable -ValueOnly p50 (any binary cmdlet)", ResultTable.Ms(anyCmdlet.Samples.P50));

        Console.WriteLine($"  Get -AsPlainText p50 {ResultTable.Ms(plain.Samples.P50)} p95 {ResultTable.Ms(plain.Samples.P95)}; Get p50 {ResultTable.Ms(secret.Samples.P50)} p95 {ResultTable.Ms(secret.Samples.P95)}");
        Console.WriteLine($"  Set p50 {ResultTable.Ms(set.Samples.P50)} p95 {ResultTable.Ms(set.Samples.P95)}, {ResultTable.PerSecond(set.CallsPerSecond, "versions")}; {Memory.Snapshot()}");
    }

    public void Dispose()
    {
        runspace.Dispose();
        Environment.SetEnvironmentVariable("VAULT_HOME", null);
        home.Dispose();
    }

    private LoopResult Loop(string command, int count, out PSObject? last)
    {
        var output = runspace.Run(LoopScript.For(command), ("Warmup", Warmup), ("Count", count));
        last = output.Count > 2 ? output[2] : null;
        return LoopResult.FromTimestamps((long[])output[0].BaseObject, (long[])output[1].BaseObject);
    }
}
