using System.Diagnostics;
using System.Globalization;
using Vault.Core.Authorization;
using Vault.Core;
using Vault.Core.Identity;

namespace Vault.Bench;

/// <summary>
/// <see cref="AccessDecider.Decide"/> over the 7 built-in roles, 5 custom roles with wildcards and
/// 1,000 assignments, warm, for an allowed and a denied request: once with the caller holding a
/// realistic 12 of the 1,000 (through its user and its groups), once with all 1,000 naming the
/// caller's groups (the worst case). In both, the grant of the allowed case is the last assignment
/// the decider looks at, so an allowed decision scans as much as a denied one.
/// </summary>
internal static class RbacDecisionBench
{
    public const int Assignments = 1_000;

    /// <summary>How many of the 1,000 the caller's own user and groups hold in the realistic case.</summary>
    public const int CallerAssignments = 12;

    public const int CallerGroups = 11;

    /// <summary>The decision's cost target: the issue's figure, applied to the mean.</summary>
    public const double TargetMicroseconds = 10;

    private const int OtherUsers = 300;
    private const int OtherGroups = 80;
    private const int TimedRounds = 5;
    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PerCallBudget = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan BatchBudget = TimeSpan.FromMilliseconds(300);

    private static readonly string AllowedScope = RbacScope.ForSecret("app-db");
    private static readonly string DeniedScope = RbacScope.ForSecret("payroll-key");

    /// <summary>Custom roles as a vault's users write them: wildcards in DataActions, some NotDataActions.</summary>
    private static readonly VaultRoleDefinition[] CustomRoles =
    [
        Custom("App Secret Reader", ["Vault/secrets/get*", "Vault/secrets/readMetadata/action", VaultActions.VaultRead, VaultActions.KeyringUnlock]),
        Custom("Secrets Writer (no purge)", ["Vault/secrets/*", VaultActions.VaultRead], ["Vault/secrets/purge/action", "Vault/secrets/delete/action"]),
        Custom("Metadata Auditor", ["Vault/*/read*", "Vault/secrets/readMetadata/action"], [VaultActions.SecretGet]),
        Custom("Keyring Operator", ["Vault/keyring/*", VaultActions.VaultRead]),
        Custom("Everything but the keyring", ["Vault/*"], ["Vault/keyring/*", "Vault/roleAssignments/*", "Vault/secrets/getSecret/*"]),
    ];

    private static VaultRoleDefinition[] AllRoles => [.. BuiltInRoles.All, .. CustomRoles];

    /// <summary>Roles that never grant getSecret (Reader and Metadata Auditor exclude it; the rest do not list it).</summary>
    private static VaultRoleDefinition[] NonGranting =>
    [
        Role(BuiltInRoles.Reader), Role(BuiltInRoles.CryptoOfficer), Role(BuiltInRoles.CryptoUser), Role(BuiltInRoles.AuditReader),
        CustomRoles[2], CustomRoles[3], CustomRoles[4],
    ];

    /// <summary>Roles that grant getSecret: in the denied cases they are placed only at scopes that miss the target.</summary>
    private static VaultRoleDefinition[] Granting =>
    [
        Role(BuiltInRoles.Administrator), Role(BuiltInRoles.SecretsOfficer), Role(BuiltInRoles.SecretsUser), CustomRoles[0], CustomRoles[1],
    ];

    public static void Measure(ResultTable table)
    {
        var caller = Caller();
        var timer = TimerFloor();
        Console.WriteLine($"  two Stopwatch timestamps around an empty body: p50 {Us(timer)} (in every per-call p50/p99 below)");

        var realistic = Realistic(caller);
        var worst = WorstCase(caller);
        if (realistic.Count != Assignments || worst.Count != Assignments)
        {
            throw new InvalidOperationException("The assignment sets must hold 1,000 each.");
        }

        var build = Stopwatch.StartNew();
        var realisticDecider = new AccessDecider(AllRoles, realistic);
        build.Stop();
        var worstDecider = new AccessDecider(AllRoles, worst);
        var held = realistic.Count(a => caller.Ids.Contains(a.PrincipalId));

        var cases = new (string Label, AccessDecider Decider, string Scope, bool Allowed)[]
        {
            ($"caller holds {held} of {Assignments:N0}: allowed", realisticDecider, AllowedScope, true),
            ($"caller holds {held} of {Assignments:N0}: denied", realisticDecider, DeniedScope, false),
            ($"worst case, all {Assignments:N0} on the caller's groups: allowed", worstDecider, AllowedScope, true),
            ($"worst case, all {Assignments:N0} on the caller's groups: denied", worstDecider, DeniedScope, false),
        };

        var first = true;
        var worstDenied = 0.0;
        foreach (var (label, decider, scope, allowed) in cases)
        {
            var decision = decider.Decide(caller, VaultActions.SecretGet, scope);
            if (decision.Allowed != allowed)
            {
                throw new InvalidOperationException($"The decider said {decision.Allowed} for '{label}': {decision.Reason}");
            }

            var (mean, samples, calls) = Time(() => decider.Decide(caller, VaultActions.SecretGet, scope).Allowed);
            if (decider == worstDecider && !allowed)
            {
                worstDenied = mean;
            }

            var value = $"mean {Us(mean)} (p50 {Us(samples.P50)}, p99 {Us(samples.P99)})";
            table.Target($"{(first ? string.Empty : "  ")}RBAC decision (Decide), {label}", value, "<= 10 µs", mean <= TargetMicroseconds / 1000);
            first = false;
            Console.WriteLine($"  {label}: {value}, {calls:N0} calls; {decision.Reason}");
        }

        // The decider buckets each principal's assignments by scope (root, one secret, prefix) with
        // one entry per role, and knows each role's verdict on every action in advance; so the
        // worst case costs lookups in the caller's 12 principals' buckets, not 1,000 comparisons.
        var covering = worst.Count(a => RbacScope.Covers(a.Scope, DeniedScope));
        table.Info(
            "  worst case: assignments whose scope covers the target",
            string.Create(CultureInfo.InvariantCulture, $"{covering} of {Assignments:N0}, all on the caller's groups; denied in {Us(worstDenied)} (bucket lookups per principal, not per assignment)"));
        table.Info($"  decider built from {AllRoles.Length} roles + {Assignments:N0} assignments", ResultTable.Ms(build.Elapsed.TotalMilliseconds));
    }

    /// <summary>A Linux user with 11 groups, as <c>id</c> shows for a developer account.</summary>
    private static CallerContext Caller() => new(
        new Principal("uid:4242", "bench-user", VaultPrincipalType.User),
        Enumerable.Range(0, CallerGroups).Select(i => new Principal($"gid:{5000 + i}", $"team-{i:D2}", VaultPrincipalType.Group)),
        OsIdentity.Authentication);

    /// <summary>
    /// 12 assignments for the caller (2 on its user, 10 on its groups), the grant of /secrets/app-db
    /// last, and 988 on 300 other users and 80 other groups.
    /// </summary>
    private static List<Assignment> Realistic(CallerContext caller)
    {
        var user = caller.Principal;
        var g = caller.Groups;
        var list = new List<Assignment>
        {
            Assign(user, Role(BuiltInRoles.Reader), "/secrets/ops-*"),
            Assign(user, CustomRoles[1], "/secrets/deploy-config"),
            Assign(g[0], Role(BuiltInRoles.CryptoUser), RbacScope.Root),
            Assign(g[1], Role(BuiltInRoles.AuditReader), RbacScope.Root),
            Assign(g[2], Role(BuiltInRoles.Reader), RbacScope.Root),
            Assign(g[3], CustomRoles[2], RbacScope.Root),
            Assign(g[4], CustomRoles[0], "/secrets/other-app-*"),
            Assign(g[5], Role(BuiltInRoles.SecretsUser), "/secrets/billing-db"),
            Assign(g[6], Role(BuiltInRoles.SecretsOfficer), "/secrets/team-b-*"),
            Assign(g[7], CustomRoles[3], RbacScope.Root),
            Assign(g[8], CustomRoles[4], RbacScope.Root),
            Assign(g[10], Role(BuiltInRoles.SecretsUser), "/secrets/app-*"),
        };

        var random = new Random(20261125);
        var others = Enumerable.Range(0, OtherUsers).Select(i => new Principal($"uid:{10000 + i}", $"user{i:D3}", VaultPrincipalType.User))
            .Concat(Enumerable.Range(0, OtherGroups).Select(i => new Principal($"gid:{20000 + i}", $"group{i:D2}", VaultPrincipalType.Group)))
            .ToArray();
        var roles = AllRoles;
        while (list.Count < Assignments)
        {
            list.Add(Assign(others[random.Next(others.Length)], roles[random.Next(roles.Length)], RandomScope(random, coveringAllowed: true)));
        }

        return list;
    }

    /// <summary>
    /// All 1,000 on the caller's user and 11 groups, round-robin. None grants getSecret on either
    /// target except the last one on the last group (Vault Secrets User at /secrets/app-*).
    /// </summary>
    private static List<Assignment> WorstCase(CallerContext caller)
    {
        var ids = caller.Groups.Prepend(caller.Principal).ToArray();
        var random = new Random(4242);
        var list = new List<Assignment>();
        for (var i = 0; i < Assignments - 1; i++)
        {
            var holder = ids[i % ids.Length];
            list.Add(random.Next(3) == 0
                ? Assign(holder, Granting[random.Next(Granting.Length)], RandomScope(random, coveringAllowed: false))
                : Assign(holder, NonGranting[random.Next(NonGranting.Length)], RandomScope(random, coveringAllowed: true)));
        }

        list.Add(Assign(ids[^1], Role(BuiltInRoles.SecretsUser), "/secrets/app-*"));
        return list;
    }

    /// <summary>
    /// 20% at /, 40% at one secret, 40% at a prefix. With <paramref name="coveringAllowed"/> false,
    /// never a scope that covers /secrets/app-db or /secrets/payroll-key (for roles that grant getSecret).
    /// </summary>
    private static string RandomScope(Random random, bool coveringAllowed)
    {
        var pick = random.Next(10);
        if (pick < 2)
        {
            return coveringAllowed ? RbacScope.Root : RbacScope.ForSecret($"svc-{random.Next(500):D3}-conn");
        }

        string[] prefixes = ["app-", "pay", "svc-", "team-a-", "ops-", "db-", "cert-", "api-key-"];
        if (pick < 6)
        {
            var prefix = prefixes[random.Next(prefixes.Length)];
            return coveringAllowed || (prefix != "app-" && prefix != "pay")
                ? RbacScope.ForSecret(prefix + "*")
                : RbacScope.ForSecret("zz-" + prefix + "*");
        }

        string[] names = ["app-db", "payroll-key", "app-cache", "svc-001-conn", "billing-db", "ops-token", "cert-web", "api-key-crm"];
        var name = names[random.Next(names.Length)];
        return coveringAllowed || (name != "app-db" && name != "payroll-key")
            ? RbacScope.ForSecret(name)
            : RbacScope.ForSecret(name + "-old");
    }

    /// <summary>
    /// Warm for 500 ms; then 5 rounds, each a block of calls with a timestamp pair around each (the
    /// percentiles) and a block timed as a whole (the mean, free of the timestamps' own cost), so
    /// both cover the same stretch of the run.
    /// </summary>
    private static (double MeanMs, Samples Samples, long Calls) Time(Func<bool> decide)
    {
        var sink = 0;
        var warm = Stopwatch.StartNew();
        var probe = 0;
        while (warm.Elapsed < Warmup)
        {
            for (var i = 0; i < 100; i++)
            {
                sink += decide() ? 1 : 0;
            }

            probe += 100;
        }

        var perCall = warm.Elapsed.TotalMilliseconds / probe;
        var count = (int)Math.Clamp(PerCallBudget.TotalMilliseconds / TimedRounds / perCall, 400, 40_000);
        var batch = (int)Math.Clamp(BatchBudget.TotalMilliseconds / TimedRounds / perCall, 100, 50_000);
        var before = new long[count];
        var after = new long[count];
        var samples = new List<double>();
        long batchCalls = 0;
        long batchTicks = 0;
        for (var r = 0; r < TimedRounds; r++)
        {
            for (var i = 0; i < count; i++)
            {
                before[i] = Stopwatch.GetTimestamp();
                sink += decide() ? 1 : 0;
                after[i] = Stopwatch.GetTimestamp();
            }

            samples.AddRange(Samples.FromTimestamps(before, after).All);
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch; i++)
            {
                sink += decide() ? 1 : 0;
            }

            batchTicks += Stopwatch.GetTimestamp() - t0;
            batchCalls += batch;
        }

        GC.KeepAlive(sink);
        return (Samples.TicksToMs(batchTicks) / batchCalls, new Samples(samples), samples.Count + batchCalls);
    }

    private static double TimerFloor()
    {
        var before = new long[100_000];
        var after = new long[100_000];
        for (var i = 0; i < before.Length; i++)
        {
            before[i] = Stopwatch.GetTimestamp();
            after[i] = Stopwatch.GetTimestamp();
        }

        return Samples.FromTimestamps(before, after).P50;
    }

    private static Assignment Assign(Principal principal, VaultRoleDefinition role, string scope) =>
        new(Guid.NewGuid(), principal.Id, principal.Name, principal.Type, role.Id, scope);

    private static VaultRoleDefinition Role(string name) => BuiltInRoles.Find(name)!;

    private static VaultRoleDefinition Custom(string name, string[] actions, string[]? notActions = null) => new()
    {
        Name = name,
        Id = Guid.NewGuid(),
        DataActions = actions,
        NotDataActions = notActions ?? [],
    };

    /// <summary>Milliseconds shown in microseconds.</summary>
    public static string Us(double ms)
    {
        var us = ms * 1000;
        return us.ToString(us < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " µs";
    }
}
