using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Every operation leaves exactly one record, chained to the one before, with who called, what on,
/// how it ended, when, how long it took and from where. One row per operation name Vault records.
/// </summary>
public sealed class AuditRecordTests : IDisposable
{
    private const string Name = "audited";
    private const string Password = "correct horse battery";
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private static readonly CallerContext Other = TestHome.Caller("uid:2000", "gid:2000");
    private readonly TestHome home = new();
    private readonly VaultManager admin;

    public AuditRecordTests() => admin = home.As(Admin);

    public void Dispose() => home.Dispose();

    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        foreach (var operation in AuditOperations.All)
        {
            data.Add(operation);
        }

        return data;
    }

    /// <summary>What a row expects besides the fields every record shares.</summary>
    private sealed record Seen(AuditEntry Row, string? SecretName, string Target, string ResultType = "Success", string Signature = "OK");

    [Theory]
    [MemberData(nameof(Operations))]
    public void EachOperationWritesOneChainedRecordWithItsFields(string operation)
    {
        var seen = Run(operation);
        var row = seen.Row;

        Assert.Equal(operation, row.Operation);
        Assert.Equal((Admin.Principal.Id, Admin.Principal.Name, "User"), (row.CallerId, row.CallerName, row.CallerType));
        Assert.Equal((seen.ResultType, seen.Signature), (row.ResultType, row.ResultSignature));
        Assert.Equal(seen.SecretName, row.SecretName);
        Assert.Equal(seen.Target, row.Target);
        Assert.Equal(home.Clock.Now.ToUnixTimeMilliseconds(), row.Time);
        Assert.True(row.DurationUs >= 0, $"duration {row.DurationUs}");
        Assert.Null(row.CorrelationId);
        Assert.NotNull(row.Seq);
        Assert.Equal(32, row.Hmac!.Length);
        Assert.Equal(32, row.PrevHmac!.Length);
        if (seen.ResultType != "Success")
        {
            Assert.False(string.IsNullOrEmpty(row.Description));
        }

        using var client = JsonDocument.Parse(row.Client!);
        var root = client.RootElement;
        Assert.Equal(RequestContext.ModuleVersion, root.GetProperty("version").GetString());
        Assert.Equal("Vault.Core", root.GetProperty("host").GetString());
        Assert.Equal(Environment.ProcessId, root.GetProperty("processId").GetInt32());
        Assert.Equal(Environment.MachineName, root.GetProperty("machine").GetString());
    }

    [Fact]
    public void TheTableCoversEveryOperationName()
    {
        Assert.Equal(AuditOperations.All.Count, AuditOperations.All.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(AuditOperations.All.Order(StringComparer.Ordinal), ((IEnumerable<object[]>)Operations()).Select(row => (string)row[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ARoleFromJsonIsOneRecordAndABadFileOneFailure()
    {
        var vault = NewVault();
        var row = One(vault, () => vault.NewRoleDefinitionFromJson("""{ "Name": "From File", "DataActions": ["Vault/secrets/readMetadata/action"] }""", "role.json"));
        Assert.Equal((AuditOperations.RoleDefinitionCreate, "Success", "From File", "role.json"), (row.Operation, row.ResultType, row.Property("role"), row.Property("source")));

        row = One(vault, () => Throws(() => vault.NewRoleDefinitionFromJson("{ not json", "bad.json"), "InvalidRoleDefinition"));
        Assert.Equal((AuditOperations.RoleDefinitionCreate, "Failed", "InvalidInput", "bad.json"), (row.Operation, row.ResultType, row.ResultSignature, row.Property("source")));
    }

    [Fact]
    public void WritersInSeveralProcessesKeepOneUnbrokenChain()
    {
        // Each detached session has its own connections, as another process would: the head is
        // read and moved inside each write transaction, so no two records take one place.
        var path = NewVault().Path;
        const int writers = 6;
        const int perWriter = 20;
        var sessions = Enumerable.Range(0, writers).Select(_ => VaultCache.OpenDetached(VaultLocation.File(path), Name)).ToList();
        try
        {
            Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
            {
                var vault = new VaultService(Name, sessions[w], home.Clock, Admin);
                for (var i = 0; i < perWriter; i++)
                {
                    vault.Set($"own-{w}", $"w{w}-{i}");
                    Throws(() => vault.GetSecret($"missing-{w}"), "SecretNotFound");
                }
            });
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }

        var rows = AuditRows.Read(path);
        Assert.Equal(2 + (writers * perWriter * 2), rows.Count);
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long?)i), rows.Select(r => r.Seq));
        for (var i = 1; i < rows.Count; i++)
        {
            Assert.Equal(rows[i - 1].Hmac, rows[i].PrevHmac);
        }

        var verification = admin.Open(Name).VerifyAuditLog();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(rows.Count, verification.RecordCount);
    }

    private VaultService NewVault(bool purgeProtection = false)
    {
        admin.CreateVault(Name, null, 90, purgeProtection);
        var vault = admin.Open(Name);
        vault.Set("db", "db-value");
        return vault;
    }

    /// <summary>Runs one operation at a new moment and returns the one record it wrote, after checking it extends the chain.</summary>
    private AuditEntry One(VaultService vault, Action operation)
    {
        home.Clock.Advance(TimeSpan.FromMinutes(7));
        var last = AuditRows.LastChained(vault.Path)!;
        var before = AuditRows.LastId(vault.Path);
        operation();
        var row = Assert.Single(AuditRows.Read(vault.Path, before));
        Assert.Equal(last.Seq + 1, row.Seq);
        Assert.Equal(last.Hmac, row.PrevHmac);
        return row;
    }

    private static string Target(string? secret = null, string? version = null) =>
        "vault://" + Name + (secret is null ? string.Empty : "/secrets/" + secret + (version is null ? string.Empty : "/" + version));

    private Seen Run(string operation)
    {
        switch (operation)
        {
            case AuditOperations.VaultCreate:
            {
                home.Clock.Advance(TimeSpan.FromMinutes(7));
                admin.CreateVault(Name);
                var row = Assert.Single(AuditRows.Read(admin.Open(Name).Path));
                Assert.Equal(1, row.Seq);
                Assert.Equal(new byte[32], row.PrevHmac);
                Assert.Contains("Software", row.Description);
                Assert.Contains("user-uid:1000 (uid:1000) is Vault Administrator at /", row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.SecretSet:
            {
                var vault = NewVault();
                VaultSecretProperties? set = null;
                var row = One(vault, () => set = vault.Set("db", "second-value"));
                Assert.Equal("A new version.", row.Description);
                var valueHmac = row.Property("valueHmac");
                Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", valueHmac);
                Assert.Equal(vault.AuditHash(Secure("second-value")), valueHmac);
                Assert.NotEqual(vault.AuditHash(Secure("db-value")), valueHmac);
                return new(row, "db", Target("db", set!.Version));
            }

            case AuditOperations.SecretGet:
            {
                var vault = NewVault();
                var first = vault.GetSecretProperties("db");
                vault.Set("db", "newer");
                VaultSecret? got = null;
                var row = One(vault, () => got = vault.GetSecret("DB", first.Version));
                Assert.Equal("db-value", got!.Plain());
                // The stored name and the version read, whatever case the caller used.
                return new(row, "db", Target("db", first.Version));
            }

            case AuditOperations.SecretGetMetadata:
            {
                var vault = NewVault();
                VaultSecretProperties? got = null;
                var row = One(vault, () => got = vault.GetSecretProperties("db"));
                return new(row, "db", Target("db", got!.Version));
            }

            case AuditOperations.SecretList:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.Single(vault.ListSecrets(NamePattern.Parse("d*"))));
                Assert.Equal("d*", row.Property("pattern"));
                return new(row, null, Target());
            }

            case AuditOperations.SecretListVersions:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.Single(vault.ListVersions("db")));
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretListDeleted:
            {
                var vault = NewVault();
                vault.DeleteSecret("db");
                var row = One(vault, () => Assert.Single(vault.ListDeletedSecrets()));
                Assert.Equal("*", row.Property("pattern"));
                return new(row, null, Target());
            }

            case AuditOperations.SecretGetDeleted:
            {
                var vault = NewVault();
                vault.DeleteSecret("db");
                var row = One(vault, () => vault.GetDeletedSecret("db"));
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretUpdate:
            {
                var vault = NewVault();
                var latest = vault.GetSecretProperties("db");
                var row = One(vault, () => vault.UpdateSecret("db", null, new SecretUpdate { Enabled = false, ContentType = "text/plain" }));
                Assert.Equal("Changed: Enabled, ContentType", row.Description);
                return new(row, "db", Target("db", latest.Version));
            }

            case AuditOperations.SecretDelete:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.DeleteSecret("db"));
                Assert.StartsWith("Recoverable until ", row.Description);
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretRecover:
            {
                var vault = NewVault();
                vault.DeleteSecret("db");
                var row = One(vault, () => vault.RecoverSecret("db"));
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretPurge:
            {
                var vault = NewVault();
                vault.DeleteSecret("db");
                var row = One(vault, () => vault.PurgeSecret("db"));
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretBackup:
            {
                var vault = NewVault();
                vault.Set("db", "two");
                var row = One(vault, () => vault.BackupSecret("db"));
                Assert.Equal("2 version(s).", row.Description);
                return new(row, "db", Target("db"));
            }

            case AuditOperations.SecretRestore:
            {
                var vault = NewVault();
                var blob = vault.BackupSecret("db");
                vault.DeleteSecret("db");
                vault.PurgeSecret("db");
                VaultSecretProperties? restored = null;
                var row = One(vault, () => restored = vault.RestoreSecret(blob, "db.blob"));
                Assert.Equal("db.blob", row.Property("source"));
                return new(row, "db", Target("db", restored!.Version));
            }

            case AuditOperations.KeyRotate:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.Equal(2, vault.RotateDataKey()));
                Assert.Contains("term 2", row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.RootKeyRotate:
            {
                var vault = NewVault();
                var row = One(vault, vault.RotateRootKey);
                return new(row, null, Target());
            }

            case AuditOperations.KeyProtectorChange:
            {
                // A move to a token is in AuditPkcs11Tests; here the refusal of a move to where the key already is.
                var vault = NewVault();
                var row = One(vault, () => Throws(() => vault.ChangeKeyProtector(KeyProtectorOptions.Software), "KeyProtectorUnchanged"));
                Assert.StartsWith("KeyProtectorUnchanged: ", row.Description);
                return new(row, null, Target(), "Failed", "InvalidOperation");
            }

            case AuditOperations.KeyringExport:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.ExportKeyring(Secure(Password)));
                return new(row, null, Target());
            }

            case AuditOperations.KeyringImport:
            {
                var vault = NewVault();
                var export = vault.ExportKeyring(Secure(Password));
                var row = One(vault, () => vault.ImportKeyring(export, Secure(Password), KeyProtectorOptions.Software, "keyring.bin"));
                Assert.Equal("keyring.bin", row.Property("source"));
                Assert.Equal("db-value", admin.Open(Name).GetSecret("db").Plain());
                return new(row, null, Target());
            }

            case AuditOperations.SecretReencrypt:
            {
                var vault = NewVault();
                vault.RotateDataKey();
                // Each committed batch has a record of its own (step 6); the operation's record follows the last.
                var before = AuditRows.LastId(vault.Path);
                Assert.Equal(1, vault.ReencryptSecrets().Moved);
                var rows = AuditRows.Read(vault.Path, before);
                Assert.Equal(2, rows.Count);
                Assert.StartsWith("Batch: 1 of 1 version(s) looked at, 1 moved to term 2", rows[0].Description);
                Assert.Equal(rows[0].Hmac, rows[1].PrevHmac);
                var row = rows[1];
                Assert.StartsWith("1 version(s) moved to term 2", row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.VaultUpgrade:
            {
                // A vault file made before step 6 gains its MACs at its first open, in a record of its own.
                var path = Fixtures.Step5Vault(home.Directory);
                admin.RegisterVault(path, Name);
                var before = AuditRows.LastId(path);
                // The fixture's administrator is another principal: the read is denied, after the upgrade.
                Throws(() => admin.Open(Name).GetSecret("db"), "AccessDenied");
                var rows = AuditRows.Read(path, before);
                Assert.Equal([AuditOperations.VaultUpgrade, AuditOperations.SecretGet], rows.Select(r => r.Operation));
                Assert.Equal(rows[0].Hmac, rows[1].PrevHmac);
                Assert.StartsWith("Metadata authenticated: 3 object(s), 5 version(s)", rows[0].Description);
                return new(rows[0], null, "vault://fixture-kv");
            }

            case AuditOperations.VaultVerify:
            {
                var vault = NewVault();
                vault.Set("db", "x");
                VaultIntegrityReport? report = null;
                var row = One(vault, () => report = vault.VerifyVault());
                Assert.True(report!.IsValid, report.Message);
                Assert.Equal(report.Message, row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.VaultUpdate:
            {
                var vault = NewVault();
                var row = One(vault, () => admin.UpdateVault(Name, 30, true));
                Assert.Equal("Soft-delete retention 30 days; purge protection on.", row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.VaultDelete:
            {
                // A removal takes its log with the file; what stays to be seen is a refusal.
                var vault = NewVault(purgeProtection: true);
                var row = One(vault, () => Throws(() => admin.RemoveVault(Name), "PurgeProtected"));
                Assert.True(File.Exists(vault.Path));
                return new(row, null, Target(), "Failed", "InvalidOperation");
            }

            case AuditOperations.VaultUnlock:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.True(admin.Unlock(Name, null).Unlocked));
                return new(row, null, Target());
            }

            case AuditOperations.RoleDefinitionList:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.Single(vault.GetRoleDefinitions(NamePattern.Parse("*Audit*"))));
                Assert.Equal("*Audit*", row.Property("pattern"));
                return new(row, null, Target());
            }

            case AuditOperations.RoleDefinitionCreate:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.NewRoleDefinition("Metadata Reader", "reads metadata", [VaultActions.SecretReadMetadata], []));
                Assert.Equal("Metadata Reader", row.Property("role"));
                return new(row, null, Target());
            }

            case AuditOperations.RoleDefinitionDelete:
            {
                var vault = NewVault();
                vault.NewRoleDefinition("Metadata Reader", null, [VaultActions.SecretReadMetadata], []);
                var row = One(vault, () => vault.RemoveRoleDefinition("Metadata Reader"));
                Assert.Equal("Metadata Reader", row.Property("role"));
                return new(row, null, Target());
            }

            case AuditOperations.RoleAssignmentList:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.Single(vault.GetRoleAssignments(principal: "uid:1000")));
                Assert.Equal("uid:1000", row.Property("principal"));
                return new(row, null, Target());
            }

            case AuditOperations.RoleAssignmentCreate:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/db"));
                Assert.Equal((BuiltInRoles.SecretsUser, Other.Principal.ToString(), "/secrets/db"), (row.Property("role"), row.Property("principal"), row.Property("scope")));
                return new(row, null, Target());
            }

            case AuditOperations.RoleAssignmentDelete:
            {
                // Removal by role, principal and scope: the look-up is part of the removal, so one record in all.
                var vault = NewVault();
                var assignment = vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/db");
                var row = One(vault, () =>
                {
                    var found = vault.FindRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal.Id, "/secrets/db");
                    vault.RemoveRoleAssignment(found.Id);
                });
                Assert.Equal(assignment.Id.ToString(), row.Property("assignmentId"));
                Assert.Equal($"{BuiltInRoles.SecretsUser} for user-uid:2000 (uid:2000) at /secrets/db.", row.Description);
                Assert.Empty(vault.GetRoleAssignments(principal: Other.Principal.Id));
                return new(row, null, Target());
            }

            case AuditOperations.AccessTest:
            {
                var vault = NewVault();
                var row = One(vault, () => Assert.False(vault.TestAccess(Other, VaultActions.SecretGet, "/secrets/db").Allowed));
                Assert.Equal((Other.Principal.ToString(), VaultActions.SecretGet, "/secrets/db"), (row.Property("principal"), row.Property("action"), row.Property("scope")));
                Assert.Equal("Denied.", row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.AuditLogRead:
            {
                // The read is recorded when it is asked for, before a single record is read.
                var vault = NewVault();
                var row = One(vault, () => vault.GetAuditLog(new AuditLogQuery { SecretName = "db", Last = 5 }));
                Assert.Equal(("db", "5"), (row.Property("secretName"), row.Property("last")));
                return new(row, null, Target());
            }

            case AuditOperations.AuditLogExport:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.GetAuditLog(export: true));
                Assert.Null(row.Properties);
                return new(row, null, Target());
            }

            case AuditOperations.AuditHeadGet:
            {
                // The head a caller takes away includes the record of taking it.
                var vault = NewVault();
                VaultAuditHead? head = null;
                var row = One(vault, () => head = vault.GetAuditHead());
                Assert.Equal(row.Seq, head!.SequenceNumber);
                Assert.Equal(Convert.ToHexStringLower(row.Hmac!), head.Hmac);
                return new(row, null, Target());
            }

            case AuditOperations.AuditLogVerify:
            {
                var vault = NewVault();
                VaultAuditVerification? result = null;
                var row = One(vault, () => result = vault.VerifyAuditLog());
                Assert.True(result!.IsValid, result.Message);
                Assert.Equal(result.Message, row.Description);
                return new(row, null, Target());
            }

            case AuditOperations.AuditHashCompute:
            {
                var vault = NewVault();
                var row = One(vault, () => vault.AuditHash(Secure("db-value")));
                Assert.Null(row.Properties);
                return new(row, null, Target());
            }

            default:
                throw new InvalidOperationException($"No scenario for {operation}: add one.");
        }
    }
}
