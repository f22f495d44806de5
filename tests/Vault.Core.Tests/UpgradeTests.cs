using Vault.Core.Audit;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Step 6: a vault made by the module before it authenticated its metadata (the fixture, made by
/// 1beb025) gains its MACs on its first open by someone who holds its key, in a record of its own;
/// everything in it still reads as it did, and from then on it is protected like a new vault.
/// </summary>
public sealed class UpgradeTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void TheStep5FixtureIsUpgradedOnItsFirstOpenAuditedAndThenProtected()
    {
        var path = Fixtures.Step5Vault(home.Directory);
        Assert.Equal("5", AuditRows.Query(path, "PRAGMA user_version;"));
        var owner = home.As(TestHome.Caller(Fixtures.Step5Administrator));
        owner.RegisterVault(path, "fixture-kv");
        var recordsBefore = AuditRows.LastSeq(path);

        var vault = owner.Open("fixture-kv");
        Assert.Equal("db-v3", vault.GetSecret("db").Plain());
        Assert.Equal("7", AuditRows.Query(path, "PRAGMA user_version;"));
        var versions = vault.ListVersions("db").ToList();
        Assert.Equal(["db-v3", "db-v2", "db-v1"], versions.Select(v => vault.GetSecret("db", v.Version).Plain()));
        Assert.Equal("text/plain", versions[2].ContentType);
        Assert.Equal("prod", versions[1].Tags!["env"]);
        Throws(() => vault.GetSecret("api"), "SecretDisabled");
        Assert.Equal("gone", Assert.Single(vault.ListDeletedSecrets()).Name);
        Assert.Equal("db-v3", home.As(TestHome.Caller("uid:5151")).Open("fixture-kv").GetSecret("db").Plain());
        Throws(() => home.As(TestHome.Caller("uid:5151")).Open("fixture-kv").GetSecret("api"), "AccessDenied");

        // One upgrade, recorded in the chain right after the fixture's own records, by whoever opened it.
        var upgrades = AuditRows.Read(path).Where(r => r.Operation == AuditOperations.VaultUpgrade).ToList();
        var upgrade = Assert.Single(upgrades);
        Assert.Equal((recordsBefore + 1, "Success", Fixtures.Step5Administrator), (upgrade.Seq, upgrade.ResultType, upgrade.CallerId));
        Assert.Equal("Metadata authenticated: 3 object(s), 5 version(s), the roles, the keyring and the settings.", upgrade.Description);
        Assert.Equal("0", AuditRows.Query(path, "SELECT count(*) FROM secret_version WHERE mac IS NULL OR ordinal IS NULL;"));
        Assert.Equal("0", AuditRows.Query(path, "SELECT count(*) FROM role_assignment WHERE mac IS NULL;"));

        var log = vault.VerifyAuditLog();
        Assert.True(log.IsValid, log.Message);
        var report = vault.VerifyVault();
        Assert.True(report.IsValid, report.Message);
        Assert.Equal((3L, 5L), (report.SecretCount, report.VersionCount));

        // Protected from now on: the edit issue 11 found is refused, and taking the MACs away again
        // does not get a second upgrade (the head binds a state now).
        Tamper(path, "UPDATE secret_version SET enabled = 1;");
        Throws(() => owner.Open("fixture-kv").GetSecret("api"), "MetadataIntegrityFailed");
        Tamper(path, "UPDATE vault SET mac = NULL; UPDATE secret_version SET mac = NULL;");
        Throws(() => owner.Open("fixture-kv").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Single(AuditRows.Read(path), r => r.Operation == AuditOperations.VaultUpgrade);
    }

    [Fact]
    public void AnUpgradeIsNotMadeForAnOpenerWithoutTheRightsToReadAndIsStillAudited()
    {
        var path = Fixtures.Step5Vault(home.Directory);
        var stranger = home.As(TestHome.Caller("uid:9999"));
        stranger.RegisterVault(path, "fixture-kv");

        // The upgrade needs only the key (it decides nothing); the stranger's read is then denied.
        Throws(() => stranger.Open("fixture-kv").GetSecret("db"), "AccessDenied");
        var rows = AuditRows.Read(path).TakeLast(2).ToList();
        Assert.Equal([(AuditOperations.VaultUpgrade, "Success"), (AuditOperations.SecretGet, "Denied")], rows.Select(r => (r.Operation, r.ResultType)));
        Assert.True(home.As(TestHome.Caller(Fixtures.Step5Administrator)).Open("fixture-kv").VerifyVault().IsValid);
    }

    [Fact]
    public void AKilledReencryptionLeavesEveryCommittedBatchOnTheRecord()
    {
        var vault = home.NewVault("app");
        for (var i = 0; i < 600; i++)
        {
            vault.Set("s" + (i % 30), "v" + i);
        }

        vault.RotateDataKey();
        var before = AuditRows.LastId(vault.Path);

        // The run stops dead after its second batch committed (an exception from the progress callback
        // stands in for the kill): each batch's record was committed in the batch's own transaction.
        var batches = 0;
        var died = Assert.Throws<ProcessDied>(() => vault.ReencryptSecrets(new Progress(_ =>
        {
            if (++batches == 3)
            {
                throw new ProcessDied();
            }
        })));
        Assert.NotNull(died);
        var records = AuditRows.Read(vault.Path, before).Where(r => r.Operation == AuditOperations.SecretReencrypt).ToList();
        Assert.True(records.Count >= 2, string.Join("\n", records.Select(r => r.Description)));
        Assert.StartsWith("Batch: 256 of 600 version(s) looked at, 256 moved to term 2", records[0].Description);
        Assert.StartsWith("Batch: 512 of 600 version(s) looked at, 512 moved to term 2", records[1].Description);
        Assert.All(records.Take(2), r => Assert.NotNull(r.Seq));
        Assert.Equal("512", AuditRows.Query(vault.Path, "SELECT count(*) FROM secret_version WHERE term = 2;"));

        // Run again, it finishes the rest; the log verifies throughout.
        var reopened = home.Manager.Open("app");
        Assert.Equal(88, reopened.ReencryptSecrets().Moved);
        Assert.True(reopened.VerifyAuditLog().IsValid);
        Assert.True(reopened.VerifyVault().IsValid);
    }

    private sealed class ProcessDied : Exception;

    private sealed class Progress(Action<(long Done, long Total)> report) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value) => report(value);
    }
}
