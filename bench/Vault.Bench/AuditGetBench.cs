using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Vault.Core;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Storage;

namespace Vault.Bench;

/// <summary>
/// A read with its audit record against what SQLite alone costs for the same kind of work on the
/// same file: one autocommit INSERT (one commit) plus the SELECT that finds a secret's latest
/// version. The core GetSecret, Get-VaultSecret in a hosted runspace and that baseline run in
/// alternating blocks, the order changing every round, so the same noise falls on all three.
/// Then GetSecret's parts, timed alone.
/// </summary>
internal sealed class AuditGetBench : IDisposable
{
    /// <summary>Timed rounds: four times each of the six orders of the three.</summary>
    public const int Rounds = 24;

    public const int Block = 200;

    public const int WarmupRounds = 6;

    /// <summary>Roughly the stored size of a SecretGet record's fields (measured: 330-360 bytes), so both writes put as much in the WAL.</summary>
    public const int BaselineValueChars = 350;

    private const int PartsWarmup = 2_000;
    private const int PartsRounds = 5;
    private const int PartsPerRound = 2_000;

    private const string CreateBaseline = "CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, t INTEGER, v TEXT);";
    private const string InsertBaseline = "INSERT INTO bench_baseline (t, v) VALUES ($t, $v);";

    /// <summary>VaultDb.FindLatest's query, with the value: the secret and its latest version by name.</summary>
    private const string SelectLatest = """
        SELECT s.secret_id, s.name, s.created, s.deleted, s.scheduled_purge,
               v.seq, v.version, v.created, v.updated, v.enabled, v.not_before, v.expires, v.content_type, v.tags, v.term, v.value
        FROM secret s JOIN secret_version v
          ON v.seq = (SELECT max(seq) FROM secret_version WHERE secret_id = s.secret_id)
        WHERE s.name = $name;
        """;

    private static readonly string[][] Orders =
    [
        ["core", "baseline", "cmdlet"],
        ["cmdlet", "baseline", "core"],
        ["baseline", "core", "cmdlet"],
        ["cmdlet", "core", "baseline"],
        ["core", "cmdlet", "baseline"],
        ["baseline", "cmdlet", "core"],
    ];

    private readonly TempHome home;
    private readonly HostedRunspace runspace;
    private readonly VaultManager manager;
    private readonly VaultService vault;
    private readonly SqliteConnection baseline;
    private readonly string payload = new('x', BaselineValueChars);
    private readonly string cmdletLoop = LoopScript.For(LoopScript.Command("get-plain"));

    public AuditGetBench()
    {
        home = new TempHome("audit-get");
        Environment.SetEnvironmentVariable(VaultManager.HomeVariable, home.Path);
        manager = new VaultManager(home.Path);
        runspace = new HostedRunspace();
        runspace.Run($"""
            New-Vault -Name {BenchValues.VaultName} | Out-Null
            $secure = ConvertTo-SecureString '{BenchValues.Value}' -AsPlainText -Force
            Set-VaultSecret -VaultName {BenchValues.VaultName} -Name {BenchValues.SecretName} -SecretValue $secure
            """);
        vault = manager.Open(BenchValues.VaultName);

        // The baseline's own connection to the vault's file, set up as VaultStore sets up its own:
        // WAL (a property of the file, which Vault made so), synchronous=NORMAL, foreign keys, busy timeout.
        baseline = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = vault.Path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        baseline.Open();
        Execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;");
        Execute(CreateBaseline);
        using var mode = baseline.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode;";
        if (!"wal".Equals(mode.ExecuteScalar() as string, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("The vault file is not in WAL mode.");
        }
    }

    /// <summary>The three in alternating blocks; the target is core GetSecret p50 / baseline p50.</summary>
    public void Compare(ResultTable table)
    {
        var samples = new Dictionary<string, List<double>> { ["core"] = [], ["baseline"] = [], ["cmdlet"] = [] };
        var blockP50 = new Dictionary<string, List<double>> { ["core"] = [], ["baseline"] = [], ["cmdlet"] = [] };
        for (var r = -WarmupRounds; r < Rounds; r++)
        {
            foreach (var which in Orders[(r + WarmupRounds) % Orders.Length])
            {
                var block = which switch
                {
                    "core" => Time(Block, CoreGet),
                    "baseline" => Time(Block, BaselineCall),
                    _ => CmdletBlock(),
                };
                if (r >= 0)
                {
                    samples[which].AddRange(block.All);
                    blockP50[which].Add(block.P50);
                }
            }
        }

        var core = new Samples(samples["core"]);
        var bare = new Samples(samples["baseline"]);
        var cmdlet = new Samples(samples["cmdlet"]);
        var coreRatio = core.P50 / bare.P50;
        var cmdletRatio = cmdlet.P50 / bare.P50;
        var perRound = new Samples(blockP50["core"].Zip(blockP50["baseline"], (c, b) => c / b));

        table.Target(
            "core GetSecret (with its audit record) p50 / bare SQLite INSERT + SELECT p50, alternating",
            $"{Ratio(coreRatio)} (GetSecret {Us(core.P50)}, baseline {Us(bare.P50)})",
            "<= 3x",
            coreRatio <= 3);
        table.Info("  Get-VaultSecret -AsPlainText (hosted runspace) p50 / the same baseline p50", $"{Ratio(cmdletRatio)} (cmdlet {Us(cmdlet.P50)})");
        table.Info("  p95 GetSecret / Get-VaultSecret / baseline", $"{Us(core.P95)} / {Us(cmdlet.P95)} / {Us(bare.P95)}");
        table.Info($"  per-round p50 ratio GetSecret / baseline, {Rounds} rounds: median (min-max)", $"{Ratio(perRound.P50)} ({Ratio(perRound.Percentile(0))}-{Ratio(perRound.Max)})");
        Console.WriteLine($"  {Rounds} rounds x {Block} calls each: GetSecret p50 {Us(core.P50)} p95 {Us(core.P95)}; Get-VaultSecret p50 {Us(cmdlet.P50)} p95 {Us(cmdlet.P95)}; baseline p50 {Us(bare.P50)} p95 {Us(bare.P95)}; ratios {Ratio(coreRatio)} / {Ratio(cmdletRatio)}");
    }

    /// <summary>
    /// GetSecret's parts, each timed alone in interleaved rounds: the RBAC check, the read (a rented
    /// connection and the object store's FindLatest with the value), and the record's write transaction (BEGIN IMMEDIATE,
    /// AuditChain.Append, COMMIT); beside them the baseline's two statements alone and prepared once.
    /// </summary>
    public void Breakdown(ResultTable table)
    {
        var cached = vault.Cached;
        var scope = ObjectKind.Secret.Scope(BenchValues.SecretName);
        using var insertPrepared = baseline.CreateCommand();
        insertPrepared.CommandText = InsertBaseline;
        var t = insertPrepared.Parameters.Add("$t", SqliteType.Integer);
        insertPrepared.Parameters.AddWithValue("$v", payload);
        insertPrepared.Prepare();
        using var selectPrepared = baseline.CreateCommand();
        selectPrepared.CommandText = SelectLatest;
        selectPrepared.Parameters.AddWithValue("$name", BenchValues.SecretName);
        selectPrepared.Prepare();

        var parts = new (string Label, Action Call)[]
        {
            ("get", CoreGet),
            ("authorize", () => vault.Authorize(VaultActions.SecretGet, scope)),
            ("read", () =>
            {
                using var db = cached.Store.Connect();
                _ = db.Objects.FindLatest(ObjectKind.Secret, BenchValues.SecretName, withValue: true) ?? throw new InvalidOperationException("The secret is gone.");
            }),
            ("record", () =>
            {
                using var db = cached.Store.BeginWrite();
                AuditChain.Append(db.Audit, vault.Barrier(), GetRecord());
                db.Commit();
            }),
            ("empty", () =>
            {
                using var db = cached.Store.BeginWrite();
                db.Commit();
            }),
            ("baseline", BaselineCall),
            ("insert", BaselineInsert),
            ("select", BaselineSelect),
            ("prepared", () =>
            {
                t.Value = Stopwatch.GetTimestamp();
                insertPrepared.ExecuteNonQuery();
                using var reader = selectPrepared.ExecuteReader();
                ReadValue(reader);
            }),
        };

        foreach (var (_, call) in parts)
        {
            for (var i = 0; i < PartsWarmup; i++)
            {
                call();
            }
        }

        var samples = parts.ToDictionary(p => p.Label, _ => new List<double>());
        for (var r = 0; r < PartsRounds; r++)
        {
            foreach (var (label, call) in parts)
            {
                samples[label].AddRange(Time(PartsPerRound, call).All);
            }
        }

        double P50(string label) => new Samples(samples[label]).P50;
        var get = P50("get");
        var authorize = P50("authorize");
        var read = P50("read");
        var record = P50("record");
        var rest = get - authorize - read - record;
        table.Info(
            "  where GetSecret's p50 goes (each part timed alone)",
            $"{Us(get)}: Authorize {Us(authorize)} + read {Us(read)} + the record's write transaction {Us(record)}"
            + (rest >= 0 ? $" + the rest {Us(rest)}" : $" (the parts alone add up to {Us(authorize + read + record)}: nothing measurable is left)"));
        table.Info("    of which BEGIN IMMEDIATE + COMMIT with nothing written", Us(P50("empty")));
        table.Info(
            "  baseline p50: INSERT (autocommit) + SELECT / each alone / both prepared once",
            $"{Us(P50("baseline"))} / {Us(P50("insert"))} + {Us(P50("select"))} / {Us(P50("prepared"))} (GetSecret against prepared: {Ratio(get / P50("prepared"))})");
        Console.WriteLine($"  parts p50: GetSecret {Us(get)}, Authorize {Us(authorize)}, read {Us(read)}, record's write transaction {Us(record)}, empty write transaction {Us(P50("empty"))}; baseline {Us(P50("baseline"))} (insert {Us(P50("insert"))}, select {Us(P50("select"))}, prepared {Us(P50("prepared"))}); {Memory.Snapshot()}");
    }

    public void Dispose()
    {
        baseline?.Dispose();
        runspace?.Dispose();
        foreach (var name in manager.VaultNames)
        {
            manager.RemoveVault(name);
        }

        Environment.SetEnvironmentVariable(VaultManager.HomeVariable, null);
        home.Dispose();
    }

    public static string Us(double ms) => (ms * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " µs";

    public static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    /// <summary>One block of timed calls (CoreBench's timer); only the samples matter here.</summary>
    private static Samples Time(int count, Action call) => CoreBench.Time(count, call).Samples;

    private static void ReadValue(SqliteDataReader reader)
    {
        if (!reader.Read() || reader.GetFieldValue<byte[]>(15).Length == 0)
        {
            throw new InvalidOperationException("The baseline found no secret.");
        }
    }

    private void CoreGet() => vault.GetSecret(BenchValues.SecretName).SecretValue.Dispose();

    private Samples CmdletBlock()
    {
        var output = runspace.Run(cmdletLoop, ("Warmup", 0), ("Count", Block));
        if (!BenchValues.Value.Equals(output[2].BaseObject))
        {
            throw new InvalidOperationException("Get-VaultSecret -AsPlainText returned something other than the value.");
        }

        return Samples.FromTimestamps((long[])output[0].BaseObject, (long[])output[1].BaseObject);
    }

    /// <summary>One iteration of the baseline: a fresh command for each statement, as VaultDb makes them.</summary>
    private void BaselineCall()
    {
        BaselineInsert();
        BaselineSelect();
    }

    private void BaselineInsert()
    {
        using var insert = baseline.CreateCommand();
        insert.CommandText = InsertBaseline;
        insert.Parameters.AddWithValue("$t", Stopwatch.GetTimestamp());
        insert.Parameters.AddWithValue("$v", payload);
        insert.ExecuteNonQuery();
    }

    private void BaselineSelect()
    {
        using var select = baseline.CreateCommand();
        select.CommandText = SelectLatest;
        select.Parameters.AddWithValue("$name", BenchValues.SecretName);
        using var reader = select.ExecuteReader();
        ReadValue(reader);
    }

    /// <summary>The record GetSecret writes, field for field as AuditCall makes it (no correlation id outside PowerShell).</summary>
    private AuditRow GetRecord() => new()
    {
        Time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        Operation = AuditOperations.SecretGet,
        CallerId = vault.Caller.Principal.Id,
        CallerName = vault.Caller.Principal.Name,
        CallerType = vault.Caller.Principal.Type.ToString(),
        Target = $"vault://{BenchValues.VaultName}/secrets/{BenchValues.SecretName}/{Guid.NewGuid():N}",
        ObjectName = BenchValues.SecretName,
        ResultType = "Success",
        ResultSignature = "OK",
        DurationUs = 40,
        CorrelationId = vault.Request.CorrelationId,
        Client = vault.Request.ClientJson(),
    };

    private void Execute(string sql)
    {
        using var command = baseline.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
