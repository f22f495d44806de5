using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vault.Core;
using Vault.Core.Audit;

namespace Vault.Bench;

/// <summary>
/// A vault whose audit log holds a million records, made in this run (nothing is cached between
/// runs): the reads Get-VaultAuditLog makes (-Last 100, -SecretName), streaming the whole log and
/// the memory that holds, the verification Test-VaultAuditLog runs, and an export of the whole log
/// through the harness's own JSON-lines writer. All through VaultService, as the cmdlets call it.
/// </summary>
internal sealed class AuditLogBench : IDisposable
{
    public const int Records = 1_000_000;
    public const int Batch = 10_000;
    public const int QueryWarmup = 3;
    public const int QueryRuns = 20;
    public const int VerifyRuns = 3;

    /// <summary>A full GC every this many records while streaming, to see what the enumeration holds.</summary>
    private const int GcEvery = 100_000;

    private const string VaultName = "auditlog";

    /// <summary>The secret the -SecretName figure asks for; the generator picks every name alike, so it is spread through the whole log.</summary>
    private const int FilterIndex = 421;

    /// <summary>VaultDb.QueryAudit's SQL for the two queries (a copy, for EXPLAIN QUERY PLAN only).</summary>
    private const string Columns = "id, seq, time, operation, caller_id, caller_name, caller_type, target, secret_name, result_type, result_signature, description, duration_us, correlation_id, client, properties, prev_hmac, hmac";

    private readonly TempHome home;
    private readonly VaultManager manager;
    private readonly VaultService vault;
    private readonly string filterName = AuditLogGenerator.SecretName(FilterIndex);
    private readonly int[] filterPerDecile = new int[10];
    private int filterCount;
    private long logRecords;

    public AuditLogBench()
    {
        home = new TempHome("audit-log");
        manager = new VaultManager(home.Path);
        manager.CreateVault(VaultName);
        vault = manager.Open(VaultName);
    }

    /// <summary>
    /// A million records through AuditChain.Append (the chain and head as every operation writes
    /// them), 10,000 to a write transaction.
    /// </summary>
    public void Fill(ResultTable table)
    {
        var cached = vault.Cached;
        var barrier = vault.Barrier();
        var generator = new AuditLogGenerator(VaultName, DateTimeOffset.UtcNow, Records);
        var fill = Stopwatch.StartNew();
        for (var done = 0; done < Records; done += Batch)
        {
            using var db = cached.Store.BeginWrite();
            for (var i = 0; i < Batch; i++)
            {
                var row = generator.Next(out var secret);
                if (secret == FilterIndex)
                {
                    filterCount++;
                    filterPerDecile[(done + i) * 10L / Records]++;
                }

                AuditChain.Append(db.Audit, barrier, row);
            }

            db.Commit();
            if ((done + Batch) % 200_000 == 0)
            {
                Console.WriteLine($"    {done + Batch:N0} records, {fill.Elapsed.TotalSeconds:0.0} s");
            }
        }

        fill.Stop();
        var file = new FileInfo(vault.Path).Length;
        var wal = new FileInfo(vault.Path + "-wal") is { Exists: true } w ? w.Length : 0;
        table.Info(
            $"fill {Records:N0} records (AuditChain.Append, {Batch:N0} to a transaction)",
            $"{fill.Elapsed.TotalSeconds:0.0} s ({ResultTable.PerSecond(Records / fill.Elapsed.TotalSeconds, "records")})");
        table.Info("  vault file after the fill (+ its WAL)", $"{ResultTable.Bytes(file)} (+{ResultTable.Bytes(wal)}): {file / (double)Records:0} bytes a record, indexes included");
        Console.WriteLine($"  filled {Records:N0} in {fill.Elapsed.TotalSeconds:0.0} s; file {ResultTable.Bytes(file)} + WAL {ResultTable.Bytes(wal)}; {Memory.Snapshot()}");
    }

    /// <summary>Get-VaultAuditLog -Last 100, and -SecretName for one secret's every record, each p50 of 20 after warm-up.</summary>
    public void Queries(ResultTable table)
    {
        var last = new AuditLogQuery { Last = 100 };
        var bySecret = new AuditLogQuery { SecretName = filterName };
        var bySecretLast = new AuditLogQuery { SecretName = filterName, Last = 100 };
        var runs = new (string Label, AuditLogQuery Query, int Expected)[]
        {
            ("last", last, 100),
            ("secret", bySecret, filterCount),
            ("secret-last", bySecretLast, Math.Min(100, filterCount)),
        };
        var samples = runs.ToDictionary(r => r.Label, _ => new List<double>());
        for (var i = -QueryWarmup; i < QueryRuns; i++)
        {
            foreach (var (label, query, expected) in runs)
            {
                var t0 = Stopwatch.GetTimestamp();
                var count = vault.GetAuditLog(query).Count();
                var ms = Samples.TicksToMs(Stopwatch.GetTimestamp() - t0);
                if (count != expected)
                {
                    throw new InvalidOperationException($"The {label} query returned {count} records, expected {expected}.");
                }

                if (i >= 0)
                {
                    samples[label].Add(ms);
                }
            }
        }

        var lastMs = new Samples(samples["last"]);
        var secretMs = new Samples(samples["secret"]);
        var secretLastMs = new Samples(samples["secret-last"]);
        table.Target(
            $"GetAuditLog -Last 100 over {Records / 1e6:0} M records (p50 of {QueryRuns})",
            $"{ResultTable.Ms(lastMs.P50)} (max {ResultTable.Ms(lastMs.Max)})",
            "<= 20 ms",
            lastMs.P50 <= 20);
        table.Target(
            $"GetAuditLog -SecretName, all {filterCount:N0} records of one secret (p50 of {QueryRuns})",
            $"{ResultTable.Ms(secretMs.P50)} (max {ResultTable.Ms(secretMs.Max)})",
            "<= 50 ms",
            secretMs.P50 <= 50);
        table.Info(
            "  that secret's records per tenth of the log, oldest tenth first",
            string.Join(" ", filterPerDecile.Select(n => n.ToString(CultureInfo.InvariantCulture))));
        table.Info("  -SecretName with -Last 100 (p50)", ResultTable.Ms(secretLastMs.P50));
        var plans = Plans();
        table.Info("  query plan, -Last 100", plans.Last);
        table.Info("  query plan, -SecretName", plans.Secret);
        Console.WriteLine($"  -Last 100 p50 {ResultTable.Ms(lastMs.P50)}; -SecretName {filterName} ({filterCount:N0} records) p50 {ResultTable.Ms(secretMs.P50)}; with -Last 100 {ResultTable.Ms(secretLastMs.P50)}");
        Console.WriteLine($"  plan -Last 100: {plans.Last}");
        Console.WriteLine($"  plan -SecretName: {plans.Secret}");
    }

    /// <summary>
    /// The whole log streamed (newest first, as Get-VaultAuditLog with no filter): its time, then a
    /// second pass with a full GC every 100,000 records for the managed memory the enumeration holds,
    /// and the peak resident set of each pass.
    /// </summary>
    public void Stream(ResultTable table)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var rssBefore = Memory.Resident;
        var reset = Memory.ResetPeak();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var stream = Stopwatch.StartNew();
        var count = vault.GetAuditLog().LongCount();
        stream.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var peak = Memory.PeakSinceReset;
        if (count < Records)
        {
            throw new InvalidOperationException($"Streamed {count} records, expected at least {Records}.");
        }

        logRecords = count;
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long held = 0;
        long n = 0;
        foreach (var _ in vault.GetAuditLog())
        {
            if (++n % GcEvery == 0)
            {
                held = Math.Max(held, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        table.Info(
            $"GetAuditLog, all {count:N0} records streamed",
            $"{stream.Elapsed.TotalSeconds:0.00} s ({ResultTable.PerSecond(count / stream.Elapsed.TotalSeconds, "records")}), {ResultTable.Bytes(allocated)} allocated in all");
        table.Info(
            "  memory while streaming: managed held mid-stream (full GC) / peak resident set",
            $"+{ResultTable.Bytes(Math.Max(held, 0))} / {ResultTable.Bytes(peak)} ({PeakNote(reset, peak, rssBefore)})");
        Console.WriteLine($"  streamed {count:N0} in {stream.Elapsed.TotalSeconds:0.00} s; held mid-stream +{ResultTable.Bytes(held)}; peak resident {ResultTable.Bytes(peak)} ({PeakNote(reset, peak, rssBefore)})");
    }

    /// <summary>VerifyAuditLog (what Test-VaultAuditLog calls) over the whole log: the median of three, and the peak resident set over them.</summary>
    public void Verify(ResultTable table)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var rssBefore = Memory.Resident;
        var reset = Memory.ResetPeak();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var times = new List<double>();
        VaultAuditVerification? result = null;
        for (var i = 0; i < VerifyRuns; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            result = vault.VerifyAuditLog();
            times.Add(Samples.TicksToMs(Stopwatch.GetTimestamp() - t0));
            if (!result.IsValid || result.RecordCount < Records)
            {
                throw new InvalidOperationException($"The filled log did not verify: {result.Message}");
            }
        }

        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / VerifyRuns;
        var peak = Memory.PeakSinceReset;
        var median = new Samples(times);

        table.Target(
            $"VerifyAuditLog over {result!.RecordCount:N0} records (median of {VerifyRuns})",
            $"{median.P50 / 1000:0.00} s ({ResultTable.PerSecond(result.RecordCount / (median.P50 / 1000), "records")}; {string.Join(" / ", times.Select(t => (t / 1000).ToString("0.00", CultureInfo.InvariantCulture)))} s)",
            "<= 5 s",
            median.P50 <= 5_000);
        table.Info(
            "  peak resident set over the three / allocated by each",
            $"{ResultTable.Bytes(peak)} ({PeakNote(reset, peak, rssBefore)}) / {ResultTable.Bytes(allocated)}");
        Console.WriteLine($"  verified {result.RecordCount:N0} records: {string.Join(", ", times.Select(t => ResultTable.Ms(t)))}; peak resident {ResultTable.Bytes(peak)} ({PeakNote(reset, peak, rssBefore)}); {result.Message}");
    }

    /// <summary>
    /// The whole log, oldest first (GetAuditLog with export: true), through the writer
    /// Export-VaultAuditLog uses (AuditEventWriter): JSON lines in Azure's AuditEvent shape, then CSV.
    /// </summary>
    public void Export(ResultTable table)
    {
        foreach (var format in new[] { AuditExportFormat.JsonLines, AuditExportFormat.Csv })
        {
            var path = Path.Combine(home.Path, $"audit-export.{format}");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var rssBefore = Memory.Resident;
            var reset = Memory.ResetPeak();
            var export = Stopwatch.StartNew();
            long count;
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new AuditEventWriter(file, format))
            {
                foreach (var record in vault.GetAuditLog(new AuditLogQuery { OldestFirst = true }, export: true))
                {
                    writer.Write(record);
                }

                writer.Flush();
                count = writer.Count;
            }

            export.Stop();
            var peak = Memory.PeakSinceReset;
            var size = new FileInfo(path).Length;
            if (count < logRecords)
            {
                throw new InvalidOperationException($"Exported {count} records, expected at least {logRecords}.");
            }

            table.Info(
                $"export of all {count:N0} records, {format} (AuditEventWriter, as Export-VaultAuditLog)",
                $"{export.Elapsed.TotalSeconds:0.00} s ({ResultTable.PerSecond(count / export.Elapsed.TotalSeconds, "records")}), {ResultTable.Bytes(size)}; peak resident set {ResultTable.Bytes(peak)} ({PeakNote(reset, peak, rssBefore)})");
            Console.WriteLine($"  exported {count:N0} as {format} in {export.Elapsed.TotalSeconds:0.00} s to {ResultTable.Bytes(size)}; peak resident {ResultTable.Bytes(peak)}; {Memory.Snapshot()}");
            File.Delete(path);
        }
    }

    public void Dispose()
    {
        manager.RemoveVault(VaultName);
        home.Dispose();
    }

    private static string PeakNote(bool reset, long peak, long before) => reset
        ? $"+{ResultTable.Bytes(Math.Max(peak - before, 0))} over the {ResultTable.Bytes(before)} resident before"
        : "the process's peak: VmHWM could not be reset";

    /// <summary>EXPLAIN QUERY PLAN of the two queries as QueryAudit builds them, on a connection of the harness's own.</summary>
    private (string Last, string Secret) Plans()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = vault.Path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        string Plan(string where, bool limit, params (string Name, object Value)[] parameters)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"EXPLAIN QUERY PLAN SELECT {Columns} FROM audit_record WHERE {where} ORDER BY id DESC{(limit ? " LIMIT $last" : string.Empty)};";
            command.Parameters.AddWithValue("$before", long.MaxValue);
            if (limit)
            {
                command.Parameters.AddWithValue("$last", 100);
            }

            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            using var reader = command.ExecuteReader();
            var steps = new List<string>();
            while (reader.Read())
            {
                steps.Add(reader.GetString(3));
            }

            return string.Join("; ", steps);
        }

        return (Plan("id < $before", limit: true), Plan("id < $before AND secret_name = $secretName COLLATE NOCASE", limit: false, ("$secretName", filterName)));
    }
}
