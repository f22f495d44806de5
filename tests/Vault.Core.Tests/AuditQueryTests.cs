using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Reading the log: every filter, newest first, streamed; who may read it; and the secrets about to expire.</summary>
public sealed class AuditQueryTests : IDisposable
{
    private const string Name = "audited";
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private static readonly CallerContext Other = TestHome.Caller("uid:2000", "gid:2000");
    private static readonly CallerContext Officer = TestHome.Caller("uid:3000");
    private static readonly CallerContext Auditor = TestHome.Caller("uid:4000");
    private readonly TestHome home = new();
    private readonly VaultManager admin;

    public AuditQueryTests() => admin = home.As(Admin);

    public void Dispose() => home.Dispose();

    private DateTime Now => home.Clock.Now.UtcDateTime;

    /// <summary>
    /// Records 1 to 8: the creation at T0; two sets and an assignment at T0+1h; at T0+2h, under
    /// correlation id corr-1, Other reads app-db (allowed) and db (denied); at T0+3h the
    /// administrator reads a missing secret (failed) and DB (allowed).
    /// </summary>
    private (VaultService Vault, DateTime T0) EightRecords()
    {
        var t0 = Now;
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        home.Clock.Advance(TimeSpan.FromHours(1));
        vault.Set("app-db", "a");
        vault.Set("db", "b");
        vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/app-*");
        home.Clock.Advance(TimeSpan.FromHours(1));
        var other = home.As(Other).Open(Name, new RequestContext { CorrelationId = "corr-1" });
        other.GetSecret("app-db");
        Throws(() => other.GetSecret("db"), "AccessDenied");
        home.Clock.Advance(TimeSpan.FromHours(1));
        Throws(() => vault.GetSecret("missing"), "SecretNotFound");
        vault.GetSecret("DB");
        Assert.Equal(8, AuditRows.LastSeq(vault.Path));
        return (vault, t0);
    }

    /// <summary>
    /// Runs a query and checks it returns exactly the records before its own that match, newest
    /// first (oldest first when asked), no more than Last; and that the read itself was recorded.
    /// </summary>
    private static List<VaultAuditRecord> Query(VaultService reader, AuditLogQuery query, Func<AuditEntry, bool> matches)
    {
        var before = AuditRows.LastId(reader.Path);
        var got = reader.GetAuditLog(query).ToList();
        var own = Assert.Single(AuditRows.Read(reader.Path, before));
        Assert.Equal((AuditOperations.AuditLogRead, "Success", reader.Caller.Principal.Id), (own.Operation, own.ResultType, own.CallerId));

        var expected = AuditRows.Read(reader.Path).Where(r => r.Id < own.Id && matches(r));
        expected = query.OldestFirst ? expected.OrderBy(r => r.Id) : expected.OrderByDescending(r => r.Id);
        Assert.Equal(
            expected.Take(query.Last ?? int.MaxValue).Select(r => (r.Seq, r.Operation, r.Hmac is null ? null : Convert.ToHexStringLower(r.Hmac))),
            got.Select(r => (r.SequenceNumber, r.OperationName, r.Hmac)));
        return got;
    }

    [Fact]
    public void WithoutFiltersEveryRecordComesNewestFirstWithoutTheReadsOwn()
    {
        var (vault, t0) = EightRecords();
        var all = Query(vault, new AuditLogQuery(), _ => true);
        Assert.Equal([8L, 7, 6, 5, 4, 3, 2, 1], all.Select(r => r.SequenceNumber!.Value));

        var newest = all[0];
        var raw = AuditRows.Read(vault.Path).Single(r => r.Seq == 8);
        Assert.Equal(Name, newest.VaultName);
        Assert.True(newest.IsChained);
        Assert.Equal((AuditOperations.SecretGet, "db", raw.Target), (newest.OperationName, newest.SecretName, newest.TargetId));
        Assert.Matches("^vault://audited/secrets/db/[0-9a-f]{32}$", newest.TargetId);
        Assert.Equal((Admin.Principal.Id, Admin.Principal.Name, "User"), (newest.CallerId, newest.CallerName, newest.CallerType));
        Assert.Equal(("Success", "OK"), (newest.ResultType, newest.ResultSignature));
        Assert.Equal(t0.AddHours(3), newest.Time);
        Assert.Equal(DateTimeKind.Utc, newest.Time.Kind);
        Assert.Equal(raw.DurationUs / 1000.0, newest.DurationMs);
        Assert.Equal((RequestContext.ModuleVersion, "Vault.Core", Environment.ProcessId, Environment.MachineName), (newest.ClientVersion, newest.ClientHost, newest.ClientProcessId, newest.ClientMachine));

        // The next read shows the first one's record, newest.
        var next = vault.GetAuditLog().First();
        Assert.Equal((9L, AuditOperations.AuditLogRead), (next.SequenceNumber!.Value, next.OperationName));
    }

    [Fact]
    public void EachFilterKeepsOnlyItsRecords()
    {
        var (vault, t0) = EightRecords();

        Assert.Equal([8L, 7, 6], Query(vault, new AuditLogQuery { Last = 3 }, _ => true).Select(r => r.SequenceNumber!.Value));
        Assert.Equal([1L, 2, 3], Query(vault, new AuditLogQuery { Last = 3, OldestFirst = true }, _ => true).Select(r => r.SequenceNumber!.Value));

        var t2 = t0.AddHours(2);
        Assert.Equal([6L, 5], Query(vault, new AuditLogQuery { Start = t2, End = t2 }, r => r.Time == UnixMs(t2)).Select(r => r.SequenceNumber!.Value));
        Assert.Equal([4L, 3, 2, 1], Query(vault, new AuditLogQuery { End = t0.AddHours(1.5) }, r => r.Time <= UnixMs(t0.AddHours(1.5))).Select(r => r.SequenceNumber!.Value));
        Query(vault, new AuditLogQuery { Start = t0.AddHours(2.5) }, r => r.Time >= UnixMs(t0.AddHours(2.5)));
        Assert.Equal([6L, 5], Query(vault, new AuditLogQuery { Start = t2.ToLocalTime(), End = t2.ToLocalTime() }, r => r.Time == UnixMs(t2)).Select(r => r.SequenceNumber!.Value));

        // A principal by name or by id, either case.
        foreach (var principal in new[] { "user-uid:2000", "USER-UID:2000", "uid:2000", "UID:2000" })
        {
            var byOther = Query(vault, new AuditLogQuery { PrincipalName = principal }, r => r.CallerId == Other.Principal.Id);
            Assert.Equal([(6L, "Denied"), (5L, "Success")], byOther.Select(r => (r.SequenceNumber!.Value, r.ResultType)));
        }

        Assert.Empty(Query(vault, new AuditLogQuery { PrincipalName = "nobody" }, _ => false));

        var gets = Query(vault, new AuditLogQuery { OperationName = "secretGET" }, r => r.Operation == AuditOperations.SecretGet);
        Assert.Equal([8L, 7, 6, 5], gets.Select(r => r.SequenceNumber!.Value));

        var db = Query(vault, new AuditLogQuery { SecretName = "DB" }, r => string.Equals(r.SecretName, "db", StringComparison.OrdinalIgnoreCase));
        Assert.Equal([(8L, AuditOperations.SecretGet), (6L, AuditOperations.SecretGet), (3L, AuditOperations.SecretSet)], db.Select(r => (r.SequenceNumber!.Value, r.OperationName)));

        var denied = Assert.Single(Query(vault, new AuditLogQuery { ResultType = VaultAuditResultType.Denied }, r => r.ResultType == "Denied"));
        Assert.Equal((6L, "Forbidden", Other.Principal.Id), (denied.SequenceNumber!.Value, denied.ResultSignature, denied.CallerId));
        var failed = Assert.Single(Query(vault, new AuditLogQuery { ResultType = VaultAuditResultType.Failed }, r => r.ResultType == "Failed"));
        Assert.Equal((7L, "NotFound", "missing"), (failed.SequenceNumber!.Value, failed.ResultSignature, failed.SecretName));
        Query(vault, new AuditLogQuery { ResultType = VaultAuditResultType.Success }, r => r.ResultType == "Success");

        var correlated = Query(vault, new AuditLogQuery { CorrelationId = "corr-1" }, r => r.CorrelationId == "corr-1");
        Assert.Equal([6L, 5], correlated.Select(r => r.SequenceNumber!.Value));
        Assert.All(correlated, r => Assert.Equal("corr-1", r.CorrelationId));

        // Filters combine.
        var one = Assert.Single(Query(vault, new AuditLogQuery { OperationName = AuditOperations.SecretGet, ResultType = VaultAuditResultType.Success, Last = 1 },
            r => r.Operation == AuditOperations.SecretGet && r.ResultType == "Success"));
        Assert.Equal(8L, one.SequenceNumber);
    }

    [Fact]
    public void AReadRecordsWhatItAskedFor()
    {
        var (vault, t0) = EightRecords();
        vault.For(new RequestContext { CorrelationId = "corr-2" }).GetAuditLog(new AuditLogQuery { Start = t0, End = t0.AddHours(1), Last = 2, PrincipalName = "uid:2000", OperationName = "secretget", SecretName = "db", ResultType = VaultAuditResultType.Denied, CorrelationId = "corr-1" });

        var row = AuditRows.Read(vault.Path).Last();
        Assert.Equal((AuditOperations.AuditLogRead, "corr-2"), (row.Operation, row.CorrelationId));
        Assert.Equal(
            ["2026-11-25T12:00:00.0000000Z", "2026-11-25T13:00:00.0000000Z", "2", "uid:2000", "secretget", "db", "Denied", "corr-1"],
            new[] { "start", "end", "last", "principalName", "operationName", "secretName", "resultType", "correlationId" }.Select(row.Property));
    }

    [Fact]
    public void AnInvalidQueryIsRefusedAndRecorded()
    {
        var (vault, t0) = EightRecords();
        foreach (var (query, parameter) in new (AuditLogQuery Query, string Parameter)[]
        {
            (new AuditLogQuery { OperationName = "SecretFetch" }, "OperationName"),
            (new AuditLogQuery { Last = 0 }, "Last"),
            (new AuditLogQuery { Last = -5 }, "Last"),
            (new AuditLogQuery { Start = t0.AddHours(2), End = t0.AddHours(1) }, "Start"),
        })
        {
            var before = AuditRows.LastId(vault.Path);
            var ex = Throws(() => vault.GetAuditLog(query), "InvalidAuditQuery");
            Assert.Equal(parameter, ex.Target);
            Assert.Equal(VaultErrorKind.InvalidArgument, ex.Kind);
            var row = Assert.Single(AuditRows.Read(vault.Path, before));
            Assert.Equal((AuditOperations.AuditLogRead, "Failed", "InvalidInput"), (row.Operation, row.ResultType, row.ResultSignature));
            Assert.NotNull(row.Seq);
        }

        Assert.Contains("SecretGet", Throws(() => vault.GetAuditLog(new AuditLogQuery { OperationName = "SecretFetch" }), "InvalidAuditQuery").Message);
        Assert.True(vault.VerifyAuditLog().IsValid);
    }

    [Fact]
    public void TheLogIsReadLazilyOneRecordAtATime()
    {
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        vault.Set("db", "v");
        for (var i = 0; i < 300; i++)
        {
            vault.GetSecretProperties("db");
        }

        // Breaking after one record: the newest, and the connection goes back (the vault goes on).
        var first = vault.GetAuditLog().First();
        Assert.Equal((302L, AuditOperations.SecretGetMetadata), (first.SequenceNumber!.Value, first.OperationName));
        var seen = 0;
        foreach (var record in vault.GetAuditLog(new AuditLogQuery { OldestFirst = true }))
        {
            Assert.Equal(AuditOperations.VaultCreate, record.OperationName);
            seen++;
            break;
        }

        Assert.Equal(1, seen);

        // A write goes ahead while a read is half-way.
        using (var reading = vault.GetAuditLog().GetEnumerator())
        {
            Assert.True(reading.MoveNext());
            vault.Set("during", "x");
            Assert.True(reading.MoveNext());
            Assert.Equal(AuditOperations.AuditLogRead, reading.Current.OperationName);
        }

        // The call records the read; the rows are read only as they are enumerated.
        var stream = vault.GetAuditLog();
        AuditRows.Execute(vault.Path, "DELETE FROM audit_record WHERE operation = 'SecretGetMetadata';");
        Assert.DoesNotContain(stream, r => r.OperationName == AuditOperations.SecretGetMetadata);
    }

    [Fact]
    public void TheLogIsForAuditReadersAndAdministratorsOnly()
    {
        var (vault, _) = EightRecords();
        vault.NewRoleAssignment(BuiltInRoles.SecretsOfficer, Officer.Principal, "/");
        vault.NewRoleAssignment(BuiltInRoles.AuditReader, Auditor.Principal, "/");
        var officer = home.As(Officer).Open(Name);
        var auditor = home.As(Auditor).Open(Name);

        var before = AuditRows.LastId(vault.Path);
        Throws(() => officer.GetAuditLog(), "AccessDenied");
        Throws(() => officer.GetAuditLog(export: true), "AccessDenied");
        Throws(() => officer.GetAuditHead(), "AccessDenied");
        Throws(() => officer.VerifyAuditLog(), "AccessDenied");
        Throws(() => officer.AuditHash(Secure("b")), "AccessDenied");
        var refusals = AuditRows.Read(vault.Path, before);
        Assert.Equal(
            [AuditOperations.AuditLogRead, AuditOperations.AuditLogExport, AuditOperations.AuditHeadGet, AuditOperations.AuditLogVerify, AuditOperations.AuditHashCompute],
            refusals.Select(r => r.Operation));
        Assert.All(refusals, r => Assert.Equal(("Denied", "Forbidden", Officer.Principal.Id, Officer.Principal.Name), (r.ResultType, r.ResultSignature, r.CallerId, r.CallerName)));

        // The reader sees the officer's refusals, and its own read is recorded under its name.
        var seen = Query(auditor, new AuditLogQuery { ResultType = VaultAuditResultType.Denied }, r => r.ResultType == "Denied");
        Assert.Equal(6, seen.Count);
        Assert.Equal(Officer.Principal.Id, seen[0].CallerId);
        Assert.True(auditor.VerifyAuditLog().IsValid);
        var head = auditor.GetAuditHead();
        Assert.Equal(AuditRows.LastSeq(vault.Path), head.SequenceNumber);
        Assert.Equal(vault.AuditHash(Secure("b")), auditor.AuditHash(Secure("b")));
        var reads = AuditRows.Read(vault.Path).Where(r => r.CallerId == Auditor.Principal.Id).ToList();
        Assert.Equal(
            [AuditOperations.AuditLogRead, AuditOperations.AuditLogVerify, AuditOperations.AuditHeadGet, AuditOperations.AuditHashCompute],
            reads.Select(r => r.Operation));
        Assert.All(reads, r => Assert.Equal(("Success", Auditor.Principal.Name), (r.ResultType, r.CallerName)));

        // Reading the log gives no secret.
        Throws(() => auditor.GetSecret("db"), "AccessDenied");
        Assert.Empty(auditor.ListSecrets());
    }

    private static long UnixMs(DateTime t) => new DateTimeOffset(t.ToUniversalTime()).ToUnixTimeMilliseconds();

    // ---- expiring secrets -------------------------------------------------------------------

    [Fact]
    public void ListExpiringShowsLiveSecretsExpiringWithinTheWindowThatTheCallerMaySee()
    {
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        var now = Now;
        SecretSetOptions Expiring(double days) => new() { Expires = now.AddDays(days) };
        vault.Set("expired", "x", Expiring(-1));
        vault.Set("soon", "x", Expiring(5));
        vault.Set("edge", "x", Expiring(7));
        vault.Set("later", "x", Expiring(30));
        vault.Set("never", "x");
        vault.Set("gone", "x", Expiring(1));
        vault.DeleteSecret("gone");
        vault.Set("renewed", "x", Expiring(1));
        vault.Set("renewed", "y");
        vault.Set("disabled", "x", Expiring(2) with { Enabled = false });
        vault.Set("app-soon", "x", Expiring(2));
        vault.Set("app-later", "x", Expiring(30));
        vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/app-*");

        var before = AuditRows.LastId(vault.Path);
        var expiring = vault.ListExpiring(TimeSpan.FromDays(7)).ToList();
        Assert.Equal(["app-soon", "disabled", "edge", "expired", "soon"], expiring.Select(s => s.Name));
        Assert.Equal(now.AddDays(-1), expiring.Single(s => s.Name == "expired").Expires);
        var row = Assert.Single(AuditRows.Read(vault.Path, before));
        Assert.Equal((AuditOperations.SecretList, "Success", "7.00:00:00"), (row.Operation, row.ResultType, row.Property("expiringWithin")));

        Assert.Equal(["expired"], vault.ListExpiring(TimeSpan.Zero).Select(s => s.Name));

        // Time moves on: what was later comes into the window.
        home.Clock.Advance(TimeSpan.FromDays(24));
        Assert.Contains("later", vault.ListExpiring(TimeSpan.FromDays(7)).Select(s => s.Name));
        home.Clock.Advance(TimeSpan.FromDays(-24));

        // A principal with a role on some secrets sees those only; one with none sees nothing.
        var other = home.As(Other).Open(Name);
        Assert.Equal(["app-soon"], other.ListExpiring(TimeSpan.FromDays(7)).Select(s => s.Name));
        Assert.Equal(["app-later", "app-soon"], other.ListExpiring(TimeSpan.FromDays(60)).Select(s => s.Name));
        Assert.Empty(home.As(Officer).Open(Name).ListExpiring(TimeSpan.FromDays(60)));
        Assert.Equal(Officer.Principal.Id, AuditRows.Read(vault.Path).Last().CallerId);

        before = AuditRows.LastId(vault.Path);
        var ex = Throws(() => vault.ListExpiring(TimeSpan.FromDays(-1)), "InvalidExpiringWithin");
        Assert.Equal("ExpiringWithin", ex.Target);
        row = Assert.Single(AuditRows.Read(vault.Path, before));
        Assert.Equal((AuditOperations.SecretList, "Failed", "InvalidInput"), (row.Operation, row.ResultType, row.ResultSignature));
    }
}
