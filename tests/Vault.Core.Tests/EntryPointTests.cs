using System.Text.Json;
using Vault.Core.Audit;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// The entry point another host (a server) uses: a vault opened by its location for a caller the
/// host names, request data carried into every record, values read as bytes, listings a page at a
/// time, requests cancelled; and the rules that moved from the cmdlets into the core.
/// </summary>
public sealed class EntryPointTests : IDisposable
{
    private static readonly CallerContext Alice = TestHome.Caller("oid:alice", "grp:app-team");
    private static readonly CallerContext Bob = TestHome.Caller("oid:bob");
    private readonly TestHome home = new();
    private readonly VaultEngine engine;
    private readonly VaultLocation location;

    public EntryPointTests()
    {
        engine = new VaultEngine(home.Clock);
        location = VaultLocation.File(Path.Combine(home.Directory, "central.vault"));
    }

    public void Dispose() => home.Dispose();

    private VaultService Central(CallerContext caller, RequestContext? request = null) => engine.Open(location, caller, request);

    // ---- opening by location ----------------------------------------------------------------

    [Fact]
    public void AVaultIsMadeAndOpenedByItsLocationForTheCallerTheHostNames()
    {
        var created = engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        Assert.Equal(("central", location), (created.VaultName, created.Location));
        created.Set("db", "db-value");

        // No registry is involved: the host names the caller, and roles decide for it.
        var bob = Central(Bob);
        Assert.Equal("central", bob.VaultName);
        Throws(() => bob.GetSecret("db"), "AccessDenied");
        Central(Alice).NewRoleAssignment(BuiltInRoles.SecretsUser, Bob.Principal, "/secrets/db");
        Assert.Equal("db-value", bob.GetSecret("db").Plain());

        var rows = AuditRows.Read(location.Address);
        Assert.Equal(AuditOperations.VaultCreate, rows[0].Operation);
        Assert.Equal(("oid:alice", "oid:bob"), (rows[0].CallerId, rows[^1].CallerId));
        Assert.Equal(("Denied", "Success"), (rows.Single(r => r.CallerId == "oid:bob" && r.ResultType != "Success").ResultType, rows[^1].ResultType));
        Assert.Equal("vault://central/secrets/db/" + bob.GetSecretProperties("db").Version, rows[^1].Target);
    }

    [Fact]
    public void AVaultIsKnownByTheNameTheHostGivesIt()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = engine.Open(location, Alice, knownAs: "prod");
        Assert.Contains("'prod'", Throws(() => vault.GetSecret("missing"), "SecretNotFound").Message, StringComparison.Ordinal);

        // The record keeps the vault's own name: every user's records read alike.
        Assert.StartsWith("vault://central/", AuditRows.Read(location.Address)[^1].Target, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingVaultAndATakenLocationAreRefused()
    {
        Throws(() => Central(Alice), "VaultFileNotFound");
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        Throws(() => engine.Create(location, "other", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice), "VaultFileExists");
        Assert.Equal(VaultLocation.File(location.Address.ToUpperInvariant()).Equals(location), OperatingSystem.IsWindows() || OperatingSystem.IsMacOS());
    }

    // ---- request data -----------------------------------------------------------------------

    [Fact]
    public void WhatTheHostKnowsOfARequestGoesIntoEveryRecordItWrites()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var request = new RequestContext
        {
            CorrelationId = "c0ffee00-0000-4000-8000-000000000001",
            RequestId = "req-42",
            ClientAddress = "127.0.0.1",
            UserAgent = "azsdk-net-Security.KeyVault.Secrets/4.12.0",
            Host = "Vault.Server",
        };
        var vault = Central(Alice, request);
        vault.Set("db", "v");
        Throws(() => vault.GetSecret("missing"), "SecretNotFound");

        foreach (var row in AuditRows.Read(location.Address).Skip(1))
        {
            Assert.Equal(request.CorrelationId, row.CorrelationId);
            using var client = JsonDocument.Parse(row.Client!);
            var root = client.RootElement;
            Assert.Equal(
                ("Vault.Server", "127.0.0.1", "req-42", request.UserAgent),
                (root.GetProperty("host").GetString(), root.GetProperty("address").GetString(), root.GetProperty("requestId").GetString(), root.GetProperty("userAgent").GetString()));
        }

        var read = vault.GetAuditLog(new AuditLogQuery { OperationName = AuditOperations.SecretSet }).Single();
        Assert.Equal(("127.0.0.1", "req-42", request.UserAgent, "Vault.Server"), (read.ClientAddress, read.RequestId, read.UserAgent, read.ClientHost));
    }

    [Fact]
    public void ARequestThatSaysNothingWritesTheClientAsBefore()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        Central(Alice).Set("db", "v");
        using var client = JsonDocument.Parse(AuditRows.Read(location.Address)[^1].Client!);
        Assert.Equal(["version", "host", "processId", "machine"], client.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("Vault.Core", client.RootElement.GetProperty("host").GetString());
    }

    [Fact]
    public void AnotherRequestOnTheSameVaultCarriesItsOwnData()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var first = Central(Alice, new RequestContext { RequestId = "one" });
        first.Set("db", "v");
        first.For(new RequestContext { RequestId = "two" }).GetSecret("db");
        var ids = AuditRows.Read(location.Address).Skip(1).Select(r => JsonDocument.Parse(r.Client!).RootElement.GetProperty("requestId").GetString()!);
        Assert.Equal(["one", "two"], ids.ToArray());
    }

    // ---- values as bytes --------------------------------------------------------------------

    [Fact]
    public void AValueIsReadAsItsUtf8BytesAndZeroedWhenDisposed()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        var set = vault.SetSecret("db", "p\u00e4ss \U0001F511"u8, new SecretSetOptions { ContentType = "text/plain" });
        var before = AuditRows.LastId(location.Address);

        var plaintext = vault.GetSecretBytes("db");
        Assert.Equal("p\u00e4ss \U0001F511"u8.ToArray(), plaintext.Value.ToArray());
        Assert.Equal((set.Version, "text/plain", "db"), (plaintext.Properties.Version, plaintext.Properties.ContentType, plaintext.Properties.Name));
        plaintext.Dispose();
        Assert.Throws<ObjectDisposedException>(() => plaintext.Value.Length);

        var row = Assert.Single(AuditRows.Read(location.Address, before));
        Assert.Equal((AuditOperations.SecretGet, "Success", "vault://central/secrets/db/" + set.Version), (row.Operation, row.ResultType, row.Target));
    }

    [Fact]
    public void ADisabledValueOrOneWhoseReadCannotBeAuditedIsNotReturnedAsBytes()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        vault.Set("db", "v");
        vault.Set("off", "v", new SecretSetOptions { Enabled = false });
        Throws(() => vault.GetSecretBytes("off"), "SecretDisabled");

        AuditRows.Execute(location.Address, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'audit disabled'); END;");
        Assert.Contains("audit disabled", Throws(() => vault.GetSecretBytes("db"), "AuditWriteFailed").Message, StringComparison.Ordinal);
    }

    // ---- pages ------------------------------------------------------------------------------

    [Fact]
    public void AListingComesAPageAtATimeWithATokenForTheNext()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        var names = Enumerable.Range(0, 60).Select(i => $"s{i:D2}").ToList();
        foreach (var name in names)
        {
            vault.Set(name, "v");
        }

        var before = AuditRows.LastId(location.Address);
        var pages = new List<VaultPage<VaultSecretProperties>>();
        string? token = null;
        do
        {
            var page = vault.ListSecrets(null, 25, token);
            pages.Add(page);
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal([25, 25, 10], pages.Select(p => p.Items.Count).ToArray());
        Assert.Equal(names, pages.SelectMany(p => p.Items).Select(s => s.Name).ToList());
        Assert.Equal(vault.ListSecrets().Select(s => s.Name), pages.SelectMany(p => p.Items).Select(s => s.Name));

        // One record a page, saying what it asked for.
        var records = AuditRows.Read(location.Address, before).Take(3).ToList();
        Assert.All(records, r => Assert.Equal((AuditOperations.SecretList, "25"), (r.Operation, r.Property("maxResults"))));

        // A page that ends exactly at the last secret says there is no next one.
        Assert.Null(vault.ListSecrets(NamePattern.Parse("s5*"), 10, null).ContinuationToken);
    }

    [Fact]
    public void APageIsFilledWithWhatTheCallerMaySee()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var admin = Central(Alice);
        for (var i = 0; i < 30; i++)
        {
            admin.Set($"a{i:D2}", "v");
            admin.Set($"b{i:D2}", "v");
        }

        admin.NewRoleAssignment(BuiltInRoles.SecretsUser, Bob.Principal, "/secrets/b*");
        var bob = Central(Bob);
        var first = bob.ListSecrets(null, 25, null);
        var second = bob.ListSecrets(null, 25, first.ContinuationToken);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"b{i:D2}"), first.Items.Select(s => s.Name));
        Assert.Equal(Enumerable.Range(25, 5).Select(i => $"b{i:D2}"), second.Items.Select(s => s.Name));
        Assert.Null(second.ContinuationToken);
    }

    [Fact]
    public void DeletedSecretsComeAPageAtATimeToo()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        for (var i = 0; i < 30; i++)
        {
            vault.Set($"d{i:D2}", "v");
            vault.DeleteSecret($"d{i:D2}");
        }

        var first = vault.ListDeletedSecrets(null, 20, null);
        var second = vault.ListDeletedSecrets(null, 20, first.ContinuationToken);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"d{i:D2}"), first.Items.Concat(second.Items).Select(s => s.Name));
        Assert.Null(second.ContinuationToken);

        // A token belongs to its listing: a deleted listing's token does not continue a live one.
        Throws(() => vault.ListSecrets(null, 20, first.ContinuationToken), "InvalidContinuationToken");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(26)]
    [InlineData(-1)]
    public void APageSizeOutsideOneTo25IsRefusedAndRecorded(int size)
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var before = AuditRows.LastId(location.Address);
        var error = Throws(() => Central(Alice).ListSecrets(null, size, null), "InvalidPageSize");
        Assert.Equal(VaultErrorKind.InvalidArgument, error.Kind);
        var row = Assert.Single(AuditRows.Read(location.Address, before));
        Assert.Equal((AuditOperations.SecretList, "Failed", "InvalidInput"), (row.Operation, row.ResultType, row.ResultSignature));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("djEKa2V5cwpsaXZlCmE")]
    [InlineData("dm0Kc2VjcmV0cwpsaXZlCmE")]
    public void ATokenThisListingDidNotGiveIsRefused(string token)
    {
        // The second is a listing of keys ("v1\nkeys\nlive\na"), the third of another format ("vm\n...").
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var error = Throws(() => Central(Alice).ListSecrets(null, 10, token), "InvalidContinuationToken");
        Assert.Equal((VaultErrorKind.InvalidArgument, token), (error.Kind, error.Target));
    }

    // ---- cancellation -----------------------------------------------------------------------

    [Fact]
    public void ACancelledRequestChangesNothingAndIsRecordedAsCanceled()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        Central(Alice).Set("db", "v1");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var cancelled = Central(Alice, new RequestContext { Cancellation = cancellation.Token });
        var before = AuditRows.LastId(location.Address);

        Assert.ThrowsAny<OperationCanceledException>(() => cancelled.Set("db", "v2"));
        Assert.Equal("v1", Central(Alice).GetSecret("db").Plain());
        var row = AuditRows.Read(location.Address, before).First();
        Assert.Equal((AuditOperations.SecretSet, "Failed", "Canceled"), (row.Operation, row.ResultType, row.ResultSignature));
        Assert.Single(Central(Alice).ListVersions("db"));
    }

    [Fact]
    public void AListingStopsWhenItsRequestIsCancelled()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var admin = Central(Alice);
        for (var i = 0; i < 10; i++)
        {
            admin.Set($"s{i}", "v");
        }

        using var cancellation = new CancellationTokenSource();
        var seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in Central(Alice, new RequestContext { Cancellation = cancellation.Token }).ListSecrets())
            {
                if (++seen == 3)
                {
                    cancellation.Cancel();
                }
            }
        });
        Assert.Equal(3, seen);
    }

    // ---- rules the cmdlets used to hold -------------------------------------------------------

    [Fact]
    public void ABackupLargerThanAnyBackupIsRefusedBeforeItIsRead()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        var error = Throws(() => vault.RestoreSecret(new HugeStream(), "huge.bak"), "BackupInvalid");
        Assert.Equal((VaultErrorKind.InvalidData, "huge.bak"), (error.Kind, error.Target));
        Assert.Contains($"larger than any secret backup ({SecretRules.MaxBackupBytes} bytes)", error.Message, StringComparison.Ordinal);

        vault.Set("db", "v");
        var blob = vault.BackupSecret("db");
        vault.DeleteSecret("db");
        vault.PurgeSecret("db");
        Assert.Equal("db", vault.RestoreSecret(new MemoryStream(blob), "db.bak").Name);
        Assert.Equal("v", vault.GetSecret("db").Plain());
    }

    [Fact]
    public void PrincipalsResolveInTheCore()
    {
        Assert.Equal(new Principal("gid:4242", "gid:4242", VaultPrincipalType.Group), VaultService.ResolvePrincipal(null, "gid:4242", null) with { Name = "gid:4242" });
        Assert.Equal(VaultPrincipalType.Application, VaultService.ResolvePrincipal(null, "app:payroll", null).Type);
        Assert.Equal(VaultPrincipalType.User, VaultService.ResolvePrincipal(null, "uid:77777", null).Type);
        Assert.Equal("uid:0", VaultService.ResolvePrincipal("root", null, null).Id);
        Throws(() => VaultService.ResolvePrincipal("no-such-user-here", null, null), "PrincipalNotFound");
        Assert.Equal("/secrets/app-*", VaultService.NormalizeScope(" /secrets/app-* "));
        Throws(() => VaultService.NormalizeScope("/keys/x"), "InvalidScope");
    }

    [Fact]
    public void AccessIsTestedForAUserTheCoreFindsByNameOrId()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        Assert.True(vault.TestAccess((string?)null, VaultActions.SecretGet, "/").Allowed);
        Assert.False(vault.TestAccess("uid:77777", VaultActions.SecretGet, "/").Allowed);
        Throws(() => vault.TestAccess("no-such-user-here", VaultActions.SecretGet, "/"), "PrincipalNotFound");
    }

    [Fact]
    public void AnAssignmentFoundByIdForItsRemovalRecordsOnlyAFailure()
    {
        engine.Create(location, "central", 90, purgeProtection: false, KeyProtectorOptions.Software, Alice);
        var vault = Central(Alice);
        var assignment = vault.NewRoleAssignment(BuiltInRoles.Reader, Bob.Principal, "/");
        var before = AuditRows.LastId(location.Address);
        Assert.Equal(assignment.Id, vault.FindRoleAssignment(assignment.Id).Id);
        Assert.Empty(AuditRows.Read(location.Address, before));

        var missing = Guid.NewGuid();
        Throws(() => vault.FindRoleAssignment(missing), "RoleAssignmentNotFound");
        var row = Assert.Single(AuditRows.Read(location.Address, before));
        Assert.Equal((AuditOperations.RoleAssignmentDelete, "Failed", "NotFound", missing.ToString()), (row.Operation, row.ResultType, row.ResultSignature, row.Property("assignmentId")));
    }

    [Fact]
    public void AnExactNameThatMatchesNothingIsNotFoundOnceTheListingIsRecorded()
    {
        var vault = home.NewVault("named");
        var before = AuditRows.LastId(vault.Path);
        Throws(() => vault.GetRoleDefinitions(NamePattern.Parse("No Such Role")), "RoleDefinitionNotFound");
        Assert.Equal("Success", Assert.Single(AuditRows.Read(vault.Path, before)).ResultType);
        Assert.Empty(vault.GetRoleDefinitions(NamePattern.Parse("No Such*")));

        var (name, info, error) = Assert.Single(home.Manager.GetVaults(NamePattern.Parse("missing")));
        Assert.Equal(("missing", null, "VaultNotFound"), (name, info, error?.ErrorId));
        Assert.Empty(home.Manager.GetVaults(NamePattern.Parse("miss*")));
    }

    [Fact]
    public void CorrelationIdsAreFoundHoweverTheyAreTyped()
    {
        var vault = home.NewVault("correlated");
        var correlation = Guid.NewGuid().ToString("D");
        vault.For(new RequestContext { CorrelationId = correlation }).Set("db", "v");
        var found = vault.GetAuditLog(new AuditLogQuery { CorrelationId = correlation.ToUpperInvariant() }).ToList();
        Assert.Equal(AuditOperations.SecretSet, Assert.Single(found).OperationName);
        Assert.Equal(correlation, AuditRows.Read(vault.Path)[^1].Property("correlationId"));
    }

    /// <summary>A stream that says it is larger than any backup and must never be read.</summary>
    private sealed class HugeStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => SecretRules.MaxBackupBytes + 1;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("A backup this large must not be read.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
