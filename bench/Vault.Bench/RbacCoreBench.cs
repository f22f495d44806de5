using System.Diagnostics;
using Vault.Core;
using Vault.Core.Authorization;
using Vault.Core.Storage.Sqlite;

namespace Vault.Bench;

/// <summary>
/// Where RBAC's per-operation time goes in the core, on a real vault file (one assignment: its
/// creator's Vault Administrator at /): <c>VaultService.Authorize</c> whole, and its parts —
/// renting and returning a pooled connection, the rbac_version query (<c>CachedVault.Roles</c>
/// with the cached decider), and <c>AccessDecider.Decide</c> — beside the core GetSecret they precede.
/// All internal (Vault.Bench has InternalsVisibleTo); one loop per figure, interleaved in rounds.
/// </summary>
internal static class RbacCoreBench
{
    private const int Warmup = 2_000;
    private const int Rounds = 5;
    private const int PerRound = 2_000;

    public static void Measure(ResultTable table)
    {
        using var home = new TempHome("rbac-core");
        var manager = new VaultManager(home.Path);
        manager.CreateVault(BenchValues.VaultName);
        var vault = manager.Open(BenchValues.VaultName);
        using (var secure = BenchValues.SecureValue())
        {
            vault.SetSecret(BenchValues.SecretName, secure);
        }

        var cached = vault.Cached;
        var caller = vault.Caller;
        var scope = ObjectKind.Secret.Scope(BenchValues.SecretName);
        var decider = cached.Roles(BenchValues.VaultName).Decider;

        // For contrast, not what Vault runs: the fixed cost of a new command (SELECT 1 reads no table,
        // so no read transaction), and the rbac_version query kept prepared on a connection held open.
        var held = (SqliteVaultTransaction)cached.Store.Connect();
        var prepared = held.Connection.CreateCommand();
        prepared.CommandText = "SELECT rbac_version FROM vault WHERE id = 1;";
        prepared.Prepare();

        var parts = new (string Label, Action Call)[]
        {
            ("authorize", () => vault.Authorize(VaultActions.SecretGet, scope)),
            ("rent", () => cached.Store.Connect().Dispose()),
            ("access", () => cached.Roles(BenchValues.VaultName)),
            ("decide", () => decider.Decide(caller, VaultActions.SecretGet, scope)),
            ("get", () => vault.GetSecret(BenchValues.SecretName).SecretValue.Dispose()),
            ("select1", () => SelectOne(cached)),
            ("prepared", () => prepared.ExecuteScalar()),
        };
        var samples = parts.ToDictionary(p => p.Label, _ => new List<double>());
        foreach (var (_, call) in parts)
        {
            for (var i = 0; i < Warmup; i++)
            {
                call();
            }
        }

        var before = new long[PerRound];
        var after = new long[PerRound];
        for (var r = 0; r < Rounds; r++)
        {
            foreach (var (label, call) in parts)
            {
                for (var i = 0; i < PerRound; i++)
                {
                    before[i] = Stopwatch.GetTimestamp();
                    call();
                    after[i] = Stopwatch.GetTimestamp();
                }

                samples[label].AddRange(Samples.FromTimestamps(before, after).All);
            }
        }

        double P50(string label) => new Samples(samples[label]).P50;
        var authorize = P50("authorize");
        var rent = P50("rent");
        var access = P50("access");
        var decide = P50("decide");
        var get = P50("get");
        table.Info(
            "core: RBAC check per operation (Authorize) p50",
            $"{RbacDecisionBench.Us(authorize)}: connection rent+return {RbacDecisionBench.Us(rent)} + rbac_version query {RbacDecisionBench.Us(access - rent)} + Decide {RbacDecisionBench.Us(decide)}");
        table.Info("  core GetSecret p50 on the same vault (Authorize included)", $"{RbacDecisionBench.Us(get)} (Authorize: {100 * authorize / get:0}% of it)");
        table.Info(
            "  for contrast: a new SELECT 1 / the rbac_version query kept prepared",
            $"{RbacDecisionBench.Us(P50("select1"))} / {RbacDecisionBench.Us(P50("prepared"))} (p50, on a rented / a held connection)");
        Console.WriteLine($"  p50: Authorize {RbacDecisionBench.Us(authorize)}, Store.Connect+Dispose {RbacDecisionBench.Us(rent)}, Access (rbac_version) {RbacDecisionBench.Us(access)}, Decide {RbacDecisionBench.Us(decide)}, GetSecret {RbacDecisionBench.Us(get)}, SELECT 1 {RbacDecisionBench.Us(P50("select1"))}, prepared rbac_version {RbacDecisionBench.Us(P50("prepared"))}; {Memory.Snapshot()}");
        prepared.Dispose();
        held.Dispose();
        manager.RemoveVault(BenchValues.VaultName);
    }

    private static void SelectOne(CachedVault cached)
    {
        using var db = (SqliteVaultTransaction)cached.Store.Connect();
        using var command = db.Connection.CreateCommand();
        command.CommandText = "SELECT 1;";
        command.ExecuteScalar();
    }
}
