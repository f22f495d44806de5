using System.Diagnostics;
using System.Text;
using Vault.Core;

namespace Vault.Bench;

/// <summary>Vault.Core alone: SetSecret and GetSecret rates, and a streamed listing of 20,000 secrets.</summary>
internal static class CoreBench
{
    private const int SetWarmup = 300;
    private const int SetCount = 3_000;
    private const int GetWarmup = 1_000;
    private const int GetCount = 10_000;
    private const int ListedSecrets = 20_000;

    public static void SetAndGet(ResultTable table)
    {
        using var home = new TempHome("core");
        var manager = new VaultManager(home.Path);
        manager.CreateVault(BenchValues.VaultName);
        var vault = manager.Open(BenchValues.VaultName);
        using var secure = BenchValues.SecureValue();

        // SetSecret(SecureString), the overload Set-VaultSecret calls.
        for (var i = 0; i < SetWarmup; i++)
        {
            vault.SetSecret(BenchValues.SecretName, secure);
        }

        var (setRate, setSamples) = Time(SetCount, () => vault.SetSecret(BenchValues.SecretName, secure));

        for (var i = 0; i < GetWarmup; i++)
        {
            vault.GetSecret(BenchValues.SecretName).SecretValue.Dispose();
        }

        var (getRate, getSamples) = Time(GetCount, () => vault.GetSecret(BenchValues.SecretName).SecretValue.Dispose());

        using (var check = vault.GetSecret(BenchValues.SecretName).SecretValue)
        {
            if (SecretValue.ToPlainText(check) != BenchValues.Value)
            {
                throw new InvalidOperationException("The core read back a different value.");
            }
        }

        table.Info("core SetSecret, one thread (60-byte value)", $"{ResultTable.PerSecond(setRate, "ops")} (p50 {ResultTable.Ms(setSamples.P50)}, p95 {ResultTable.Ms(setSamples.P95)})");
        table.Info("core GetSecret, one thread", $"{ResultTable.PerSecond(getRate, "ops")} (p50 {ResultTable.Ms(getSamples.P50)}, p95 {ResultTable.Ms(getSamples.P95)})");
        Console.WriteLine($"  core SetSecret {ResultTable.PerSecond(setRate, "ops")}, GetSecret {ResultTable.PerSecond(getRate, "ops")}; {Memory.Snapshot()}");
        manager.RemoveVault(BenchValues.VaultName);
    }

    /// <summary>
    /// 20,000 secrets, then ListSecrets() streamed: its time, and the managed memory it holds
    /// mid-stream (after a full GC) against what the same listing costs held in a list.
    /// </summary>
    public static void Listing(ResultTable table)
    {
        using var home = new TempHome("list");
        var manager = new VaultManager(home.Path);
        manager.CreateVault(BenchValues.VaultName);
        var vault = manager.Open(BenchValues.VaultName);
        var value = Encoding.UTF8.GetBytes(BenchValues.Value);

        var fill = Stopwatch.StartNew();
        for (var i = 0; i < ListedSecrets; i++)
        {
            vault.SetSecret("secret-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), value);
        }

        fill.Stop();

        // Warm the query path once, so the timed pass measures the listing, not the JIT.
        foreach (var _ in vault.ListSecrets(NamePattern.Parse("secret-0000*")))
        {
        }

        // Pass 1, timed: stream and count.
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var listing = Stopwatch.StartNew();
        var count = 0;
        foreach (var _ in vault.ListSecrets())
        {
            count++;
        }

        listing.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (count != ListedSecrets)
        {
            throw new InvalidOperationException($"Listed {count} secrets, expected {ListedSecrets}.");
        }

        // Pass 2: what a live enumeration holds. A full GC every 2,000 items keeps only what is
        // still reachable, so this is the listing's own working memory, not uncollected garbage.
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long streamedPeak = 0;
        var n = 0;
        foreach (var _ in vault.ListSecrets())
        {
            if (++n % 2_000 == 0)
            {
                streamedPeak = Math.Max(streamedPeak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        // For contrast: the same listing held in memory at once.
        baseline = GC.GetTotalMemory(forceFullCollection: true);
        var all = vault.ListSecrets().ToList();
        var materialized = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        GC.KeepAlive(all);

        table.Info($"core: create {ListedSecrets:N0} secrets (one SetSecret each)", $"{fill.Elapsed.TotalSeconds:0.0} s ({ResultTable.PerSecond(ListedSecrets / fill.Elapsed.TotalSeconds, "secrets")})");
        table.Info($"core ListSecrets() of {ListedSecrets:N0}, streamed", $"{ResultTable.Ms(listing.Elapsed.TotalMilliseconds)}, {ResultTable.Bytes(allocated)} allocated in all");
        table.Info("  managed memory held mid-stream (after full GC)", $"+{ResultTable.Bytes(Math.Max(streamedPeak, 0))} (the same listing held in a List: +{ResultTable.Bytes(materialized)})");
        Console.WriteLine($"  listing {count:N0} in {ResultTable.Ms(listing.Elapsed.TotalMilliseconds)}, held mid-stream +{ResultTable.Bytes(streamedPeak)}, as a list +{ResultTable.Bytes(materialized)}; {Memory.Snapshot()}");
        all.Clear();
        manager.RemoveVault(BenchValues.VaultName);
    }

    internal static (double PerSecond, Samples Samples) Time(int count, Action call)
    {
        var before = new long[count];
        var after = new long[count];
        for (var i = 0; i < count; i++)
        {
            before[i] = Stopwatch.GetTimestamp();
            call();
            after[i] = Stopwatch.GetTimestamp();
        }

        var seconds = Samples.TicksToMs(after[^1] - before[0]) / 1000.0;
        return (count / seconds, Samples.FromTimestamps(before, after));
    }
}
