using Vault.Core.Audit;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Step 6: a writer without the key (write access to the folder, a backup, a restored copy) edits the
/// vault file with sqlite3, as issue 11 found. Every edit that used to be obeyed is refused with
/// MetadataIntegrityFailed naming what failed, the rest of the vault keeps working where it can, and
/// Test-Vault (VerifyVault) names everything in one pass. Each test passes only since step 6.
/// </summary>
public sealed class MetadataAttackTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    private VaultService Open(string name) => home.Manager.Open(name);

    private static long[] Seqs(string path, string secret) =>
        AuditRows.Query(path, $"SELECT group_concat(seq) FROM (SELECT v.seq FROM secret_version v JOIN secret s USING (secret_id) WHERE s.name = '{secret}' ORDER BY v.seq);")
            .Split(',').Select(long.Parse).ToArray();

    private static VaultIntegrityProblem OneProblem(VaultService vault, VaultIntegrityArea area, string name)
    {
        var report = vault.VerifyVault();
        Assert.False(report.IsValid);
        var problem = Assert.Single(report.Problems);
        Assert.Equal((area, name, "MetadataIntegrityFailed"), (problem.Area, problem.Name, problem.ErrorId));
        return problem;
    }

    [Fact]
    public void SwappingTheOrderOfTwoVersionsIsRefusedNamingTheSecretAndTheRestKeepsWorking()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "old");
        vault.Set("db", "new");
        vault.Set("api", "key");
        var path = vault.Path;
        var seq = Seqs(path, "db");
        // Before step 6 this served "old" as the current value, silently.
        Tamper(path, $"UPDATE secret_version SET seq = -1 WHERE seq = {seq[0]}; UPDATE secret_version SET seq = {seq[0]} WHERE seq = {seq[1]}; UPDATE secret_version SET seq = {seq[1]} WHERE seq = -1;");

        var refused = Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Equal("db", refused.Target);
        Assert.Contains("'db' of vault 'app'", refused.Message);
        Assert.Contains("Test-Vault", refused.Message);
        Throws(() => Open("app").ListVersions("db").ToList(), "MetadataIntegrityFailed");
        Throws(() => Open("app").Set("db", "newer"), "MetadataIntegrityFailed");

        // The rest of the vault keeps working; a listing shows the others and then names the damaged one.
        Assert.Equal("key", Open("app").GetSecret("api").Plain());
        Open("app").Set("api", "key2");
        var seen = new List<string>();
        var listing = Throws(() =>
        {
            foreach (var s in Open("app").ListSecrets())
            {
                seen.Add(s.Name);
            }
        }, "MetadataIntegrityFailed");
        Assert.Equal(["api"], seen);
        Assert.Equal("db", listing.Target);

        var problem = OneProblem(Open("app"), VaultIntegrityArea.Secret, "db");
        Assert.Contains("reordered", problem.Message);
    }

    [Fact]
    public void DeletingTheNewestVersionRowIsRefused()
    {
        var vault = home.NewVault("app");
        var old = vault.Set("db", "old").Version;
        vault.Set("db", "new");
        // Before step 6 this served "old" as the current value, silently.
        Tamper(vault.Path, $"DELETE FROM secret_version WHERE seq = {Seqs(vault.Path, "db")[1]};");

        Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        Throws(() => Open("app").GetSecret("db", old), "MetadataIntegrityFailed");
        OneProblem(Open("app"), VaultIntegrityArea.Secret, "db");
    }

    [Fact]
    public void EditedVersionAttributesAreRefused()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        vault.UpdateSecret("db", null, new SecretUpdate { Enabled = false });
        Tamper(vault.Path, "UPDATE secret_version SET enabled = 1, expires = NULL;");

        Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        var problem = OneProblem(Open("app"), VaultIntegrityArea.Secret, "db");
        Assert.Contains("attributes of version", problem.Message);
    }

    [Fact]
    public void AVersionRowPutBackAsItWasBeforeIsRefused()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        // The attacker keeps the row while it is enabled (its MAC was valid then)...
        Tamper(vault.Path, "CREATE TABLE kept AS SELECT * FROM secret_version;");
        Open("app").UpdateSecret("db", null, new SecretUpdate { Enabled = false });
        Throws(() => Open("app").GetSecret("db"), "SecretDisabled");

        // ...and puts it back after the owner disabled it.
        Tamper(vault.Path, "INSERT OR REPLACE INTO secret_version SELECT * FROM kept; DROP TABLE kept;");
        var refused = Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Contains("put back", refused.Message);
        OneProblem(Open("app"), VaultIntegrityArea.Secret, "db");
    }

    [Fact]
    public void AnOlderVersionPutBackAsItWasBeforeIsRefusedWhenReadByVersion()
    {
        var vault = home.NewVault("app");
        var first = vault.Set("db", "one").Version;
        vault.Set("db", "two");
        Tamper(vault.Path, $"CREATE TABLE kept AS SELECT * FROM secret_version WHERE version = '{first}';");
        Open("app").UpdateSecret("db", first, new SecretUpdate { Enabled = false });
        Tamper(vault.Path, "INSERT OR REPLACE INTO secret_version SELECT * FROM kept; DROP TABLE kept;");

        Throws(() => Open("app").GetSecret("db", first), "MetadataIntegrityFailed");
        OneProblem(Open("app"), VaultIntegrityArea.Secret, "db");
    }

    [Fact]
    public void PurgeProtectionTurnedOffInTheFileStaysOn()
    {
        var vault = home.NewVault("app", purgeProtection: true);
        vault.Set("db", "v");
        vault.DeleteSecret("db");
        Throws(() => Open("app").PurgeSecret("db"), "PurgeProtected");

        // Before step 6 this made the purge, and the vault's removal, possible.
        Tamper(vault.Path, "UPDATE vault SET purge_protection = 0;");
        var refused = Throws(() => Open("app").PurgeSecret("db"), "MetadataIntegrityFailed");
        Assert.Equal("settings", refused.Target);
        Throws(() => home.Manager.RemoveVault("app"), "MetadataIntegrityFailed");
        Throws(() => home.Manager.UpdateVault("app", 7, null), "MetadataIntegrityFailed");
        Assert.True(File.Exists(vault.Path));
        Assert.Equal("1", AuditRows.Query(vault.Path, "SELECT count(*) FROM secret;"));
        var problem = OneProblem(Open("app"), VaultIntegrityArea.Settings, "settings");
        Assert.Contains("purge protection", problem.Message);

        // Put back as it was, the vault works again, and purge protection is still on.
        Tamper(vault.Path, "UPDATE vault SET purge_protection = 1;");
        Throws(() => Open("app").PurgeSecret("db"), "PurgeProtected");
        Assert.True(Open("app").VerifyVault().IsValid);
    }

    [Fact]
    public void ARetentionOfOneDayWrittenIntoTheFileIsRefused()
    {
        var vault = home.NewVault("app", retentionDays: 90);
        vault.Set("db", "v");
        Tamper(vault.Path, "UPDATE vault SET soft_delete_retention_days = 1;");

        Throws(() => Open("app").DeleteSecret("db"), "MetadataIntegrityFailed");
        Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        OneProblem(Open("app"), VaultIntegrityArea.Settings, "settings");

        // Get-Vault does not show the edited retention while the keyring is held (it can check it);
        // locked, it shows the file as it is, and the next command that uses it refuses it.
        Throws(() => home.Manager.GetVault("app"), "MetadataIntegrityFailed");
        // Listed as Damaged, with the error's id and words, and without the edited retention.
        var (_, info, error) = Assert.Single(home.Manager.GetVaults());
        Assert.Null(error);
        Assert.Equal((VaultStatus.Damaged, "MetadataIntegrityFailed", 0), (info!.Status, info.StatusErrorId, info.SoftDeleteRetentionInDays));
        home.Manager.Lock("app");
        Assert.Equal(1, home.Manager.GetVault("app").SoftDeleteRetentionInDays);
        Throws(() => Open("app").DeleteSecret("db"), "MetadataIntegrityFailed");
    }

    [Fact]
    public void AKeyCheckRemovedFromTheKeyProtectorIsRefused()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        Assert.Contains("keyCheck", AuditRows.Query(vault.Path, "SELECT key_protector FROM vault;"));
        Tamper(vault.Path, "UPDATE vault SET key_protector = json_remove(key_protector, '$.keyCheck');");

        Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        OneProblem(Open("app"), VaultIntegrityArea.Settings, "settings");
    }

    [Fact]
    public void AKeyringRowsKeyCheckRemovedIsRefused()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        Tamper(vault.Path, "UPDATE keyring SET key_check = NULL;");

        var refused = Throws(() => Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Equal("keyring", refused.Target);
        OneProblem(Open("app"), VaultIntegrityArea.Keyring, "keyring");
    }

    [Fact]
    public void ARoleAssignmentCopiedForAnotherPrincipalGrantsNothing()
    {
        var admin = home.As(TestHome.Caller("uid:1000"));
        admin.CreateVault("app", null, 90, false);
        admin.Open("app").Set("db", "v");
        var path = admin.Open("app").Path;
        var intruder = home.As(TestHome.Caller("uid:666"));
        Throws(() => intruder.Open("app").GetSecret("db"), "AccessDenied");

        // Before step 6 this made uid:666 an Administrator.
        Tamper(path, """
            INSERT INTO role_assignment (id, principal_id, principal_name, principal_type, role_definition_id, scope, created, mac)
            SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                   'uid:666', 'intruder', principal_type, role_definition_id, scope, created, mac
            FROM role_assignment WHERE principal_id = 'uid:1000';
            UPDATE vault SET rbac_version = rbac_version + 1;
            """);

        var refused = Throws(() => intruder.Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Equal("roles", refused.Target);
        Assert.Contains("uid:666", refused.Message);
        Throws(() => admin.Open("app").GetSecret("db"), "MetadataIntegrityFailed");
        var problem = Assert.Single(admin.Open("app").VerifyVault().Problems, p => p.Message.Contains("uid:666"));
        Assert.Equal(VaultIntegrityArea.Roles, problem.Area);

        // The row taken out again, the administrator is back and the intruder still has nothing.
        Tamper(path, "DELETE FROM role_assignment WHERE principal_id = 'uid:666'; UPDATE vault SET rbac_version = rbac_version + 1;");
        Assert.Equal("v", admin.Open("app").GetSecret("db").Plain());
        Throws(() => intruder.Open("app").GetSecret("db"), "AccessDenied");
    }

    [Fact]
    public void SettingsPutBackAsTheyWereBeforeAreRefused()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        vault.DeleteSecret("db");
        // The attacker keeps the settings while purge protection is off (their MAC was valid then)...
        Tamper(vault.Path, "CREATE TABLE kept AS SELECT * FROM vault;");
        home.Manager.UpdateVault("app", null, true);
        Throws(() => Open("app").PurgeSecret("db"), "PurgeProtected");

        // ...and puts them back: the audit head binds the state it was last written with.
        Tamper(vault.Path, "DELETE FROM vault; INSERT INTO vault SELECT * FROM kept; DROP TABLE kept;");
        var refused = Throws(() => Open("app").PurgeSecret("db"), "MetadataIntegrityFailed");
        Assert.Contains("older copy", refused.Message);
        Throws(() => Open("app").ListSecrets().ToList(), "MetadataIntegrityFailed");
        Assert.Contains(Open("app").VerifyVault().Problems, p => p.Area == VaultIntegrityArea.Settings && p.Message.Contains("older copy"));
    }

    [Fact]
    public void SettingsPutBackWithTheAuditHeadRemovedCannotPurge()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        vault.DeleteSecret("db");
        Tamper(vault.Path, "CREATE TABLE kept AS SELECT * FROM vault;");
        home.Manager.UpdateVault("app", null, true);

        // Without the head nothing can vouch for the settings: what cannot be undone is refused.
        Tamper(vault.Path, "DELETE FROM vault; INSERT INTO vault SELECT * FROM kept; DROP TABLE kept; DELETE FROM audit_head;");
        var refused = Throws(() => Open("app").PurgeSecret("db"), "MetadataIntegrityFailed");
        Assert.Contains("head", refused.Message);
        Throws(() => home.Manager.RemoveVault("app"), "MetadataIntegrityFailed");
        Assert.False(Open("app").VerifyAuditLog().IsValid);
        Assert.Equal("1", AuditRows.Query(vault.Path, "SELECT count(*) FROM secret;"));
    }

    [Fact]
    public void AWholeSecretDeletedFromTheFileIsFoundByTestVault()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        vault.Set("api", "k");
        Tamper(vault.Path, "DELETE FROM secret_version WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'db'); DELETE FROM secret WHERE name = 'db';");

        // A read cannot tell a secret never set from one removed; Test-Vault can.
        Throws(() => Open("app").GetSecret("db"), "SecretNotFound");
        Assert.Equal("k", Open("app").GetSecret("api").Plain());
        var problem = OneProblem(Open("app"), VaultIntegrityArea.Secrets, "secrets");
        Assert.Contains("holds 2 secret(s) and 1 are stored", problem.Message);
    }

    [Fact]
    public void TestVaultReportsEveryFailingObjectInOnePass()
    {
        var vault = home.NewVault("app");
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            vault.Set(name, name + "1");
            vault.Set(name, name + "2");
        }

        Assert.True(vault.VerifyVault().IsValid);
        var b = Seqs(vault.Path, "b")[1];
        var c = Seqs(vault.Path, "c")[0];
        Tamper(vault.Path, $$"""
            UPDATE secret_version SET tags = '{"x":"y"}' WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'a');
            DELETE FROM secret_version WHERE seq = {{b}};
            UPDATE secret_version SET value = zeroblob(length(value)) WHERE seq = {{c}};
            UPDATE vault SET soft_delete_retention_days = 7;
            """);

        var report = Open("app").VerifyVault();
        Assert.False(report.IsValid);
        Assert.Equal(4, report.SecretCount);
        Assert.Equal(7, report.VersionCount);
        Assert.Equal(
            [(VaultIntegrityArea.Settings, "settings", "MetadataIntegrityFailed"), (VaultIntegrityArea.Secret, "a", "MetadataIntegrityFailed"),
             (VaultIntegrityArea.Secret, "b", "MetadataIntegrityFailed"), (VaultIntegrityArea.Secret, "c", "SecretIntegrityFailed")],
            report.Problems.Select(p => (p.Area, p.Name, p.ErrorId)));
        Assert.True(report.AuditLog.IsValid, report.AuditLog.Message);
        Assert.StartsWith("Vault 'app' fails verification: 4 problem(s)", report.Message);

        // Test-Vault is itself recorded, and opening a damaged vault for it upgraded or bound nothing.
        var last = AuditRows.Read(vault.Path).Last();
        Assert.Equal((AuditOperations.VaultVerify, "Success"), (last.Operation, last.ResultType));
        Throws(() => Open("app").GetSecret("d"), "MetadataIntegrityFailed");
    }

    [Fact]
    public void AWipedAuditLogIsReportedFromSequenceOne()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        vault.Set("gone", "g");
        vault.DeleteSecret("gone");
        // Before step 6 the next operation began a new chain at 1 and the log verified as intact.
        Tamper(vault.Path, "DELETE FROM audit_record; DELETE FROM audit_head;");

        var wiped = Open("app").VerifyAuditLog();
        Assert.False(wiped.IsValid);
        Assert.Equal((AuditVerifier.Removed, 1L), (wiped.Problem, wiped.FirstBadSequenceNumber));

        Open("app").Set("db", "w");
        var restarted = Open("app").VerifyAuditLog();
        Assert.False(restarted.IsValid, restarted.Message);
        Assert.Equal((AuditVerifier.Removed, 1L), (restarted.Problem, restarted.FirstBadSequenceNumber));
        Assert.Contains("wiped", restarted.Message);

        // A log begun again is not the vault's own: its head cannot vouch for the retention or purge
        // protection, so what they decide (a deletion's purge date, a purge) is refused; writes go on.
        Throws(() => Open("app").DeleteSecret("db"), "MetadataIntegrityFailed");
        Throws(() => Open("app").PurgeSecret("gone"), "MetadataIntegrityFailed");
        Assert.Equal("w", Open("app").GetSecret("db").Plain());
    }

    [Fact]
    public void AnotherVaultsLogPutInPlaceIsReportedFromSequenceOne()
    {
        var a = home.NewVault("vault-a");
        a.Set("db", "v");
        var b = home.NewVault("vault-b");
        b.Set("db", "v");
        Tamper(a.Path, $"ATTACH '{b.Path}' AS other; DELETE FROM audit_record; DELETE FROM audit_head; INSERT INTO audit_record SELECT * FROM other.audit_record; INSERT INTO audit_head SELECT * FROM other.audit_head;");

        var result = Open("vault-a").VerifyAuditLog();
        Assert.False(result.IsValid);
        Assert.Equal(1L, result.FirstBadSequenceNumber);
    }

    [Fact]
    public void AForgedUnchainedSuccessIsReportedAsForged()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        Assert.True(Open("app").VerifyAuditLog().IsValid);
        // Before step 6 this counted as an ordinary unchained entry.
        Tamper(vault.Path, """
            INSERT INTO audit_record (seq, time, operation, caller_id, caller_name, caller_type, target, object_name, result_type, result_signature, description, duration_us, correlation_id, client, properties, prev_hmac, hmac)
            VALUES (NULL, 1764072000000, 'SecretGet', 'uid:1001', 'alice', 'User', 'vault://app/secrets/db', 'db', 'Success', 'OK', NULL, 10, NULL, NULL, NULL, NULL, NULL);
            """);

        var result = Open("app").VerifyAuditLog();
        Assert.False(result.IsValid);
        Assert.Equal(AuditVerifier.Forged, result.Problem);
        Assert.Contains("SecretGet", result.Message);
        Assert.Contains(Open("app").VerifyVault().Problems, p => p.Area == VaultIntegrityArea.AuditLog);
    }

    [Fact]
    public void AnUnchainedFailureBeforeTheKeyringOpensIsStillAccepted()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v");
        VaultCache.Evict(vault.Path);
        File.Move(vault.Path + ".key", vault.Path + ".key.moved");
        Throws(() => Open("app").GetSecret("db"), "KeyProtectorUnavailable");
        File.Move(vault.Path + ".key.moved", vault.Path + ".key");
        VaultCache.Evict(vault.Path);

        var result = Open("app").VerifyAuditLog();
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(1, result.UnchainedCount);
    }
}
