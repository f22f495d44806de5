using Vault.Core.Audit;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Someone with the vault file edits its audit log: VerifyAuditLog names what was done and the
/// first sequence number it touched. A rollback to an older copy only shows against a head kept elsewhere.
/// </summary>
public sealed class AuditVerifyTests : IDisposable
{
    private const string Name = "audited";
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private readonly TestHome home = new();
    private readonly VaultManager admin;

    public AuditVerifyTests() => admin = home.As(Admin);

    public void Dispose() => home.Dispose();

    /// <summary>A vault whose log holds records 1 (VaultCreate) to 6 (five SecretSets).</summary>
    private string SixRecords()
    {
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        for (var i = 1; i <= 5; i++)
        {
            home.Clock.Advance(TimeSpan.FromSeconds(1));
            vault.Set("s" + i, "value-" + i);
        }

        Assert.Equal(6, AuditRows.LastSeq(vault.Path));
        return vault.Path;
    }

    private VaultAuditVerification Verify(VaultAuditHead? expected = null) => admin.Open(Name).VerifyAuditLog(expected);

    private static void AssertBad(VaultAuditVerification result, string problem, long seq)
    {
        Assert.False(result.IsValid, result.Message);
        Assert.Equal(problem, result.Problem);
        Assert.Equal(seq, result.FirstBadSequenceNumber);
        Assert.StartsWith($"{problem} at sequence number {seq}: ", result.Message);
    }

    private static string HeadRow(string path) => AuditRows.Query(path, "SELECT coalesce((SELECT seq || ':' || hex(hmac) || ':' || time || ':' || hex(head_hmac) FROM audit_head), 'none');");

    private static long IdOf(string path, long seq) => long.Parse(AuditRows.Query(path, $"SELECT id FROM audit_record WHERE seq = {seq};"), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void AnIntactLogIsValid()
    {
        SixRecords();
        var result = Verify();
        Assert.True(result.IsValid, result.Message);
        Assert.Null(result.Problem);
        Assert.Null(result.FirstBadSequenceNumber);
        Assert.Equal((6L, 6L, 0L), (result.RecordCount, result.LastSequenceNumber, result.UnchainedCount));
        Assert.Equal(6, result.Head!.SequenceNumber);
        Assert.Equal(Name, result.VaultName);
        Assert.Contains("intact: 6 chained record(s), 1 to 6", result.Message);

        // The verification's own record follows: the next one sees it too.
        Assert.Equal(7, Verify().RecordCount);
    }

    [Theory]
    [InlineData("caller_name = 'x'")]
    [InlineData("caller_id = 'uid:0'")]
    [InlineData("operation = 'SecretGet'")]
    [InlineData("result_type = 'Denied'")]
    [InlineData("result_signature = 'Forbidden'")]
    [InlineData("object_name = 's9'")]
    [InlineData("target = 'vault://audited'")]
    [InlineData("description = NULL")]
    [InlineData("time = time + 1")]
    [InlineData("duration_us = duration_us + 1")]
    [InlineData("correlation_id = 'c'")]
    [InlineData("client = '{}'")]
    [InlineData("properties = NULL")]
    [InlineData("prev_hmac = zeroblob(32)")]
    [InlineData("hmac = zeroblob(32)")]
    public void AnEditedFieldIsEditedAtItsRecord(string change)
    {
        var path = SixRecords();
        Tamper(path, $"UPDATE audit_record SET {change} WHERE seq = 3;");
        AssertBad(Verify(), AuditVerifier.Edited, 3);
    }

    [Fact]
    public void AnEditedSequenceNumberIsCaught()
    {
        var path = SixRecords();
        Tamper(path, "UPDATE audit_record SET seq = 30 WHERE seq = 3;");
        AssertBad(Verify(), AuditVerifier.Edited, 3);
    }

    [Fact]
    public void ARecordDeletedFromTheMiddleIsRemovedAtItsSequenceNumber()
    {
        var path = SixRecords();
        Tamper(path, "DELETE FROM audit_record WHERE seq = 3;");
        var result = Verify();
        AssertBad(result, AuditVerifier.Removed, 3);
        Assert.Contains("record 3 is missing (the next record found is 4)", result.Message);
        Assert.Equal(2, result.RecordCount);
    }

    [Fact]
    public void SeveralRecordsDeletedAreRemovedAtTheFirst()
    {
        var path = SixRecords();
        Tamper(path, "DELETE FROM audit_record WHERE seq IN (2, 3, 4);");
        var result = Verify();
        AssertBad(result, AuditVerifier.Removed, 2);
        Assert.Contains("records 2 to 4 are missing", result.Message);
    }

    [Fact]
    public void TheFirstRecordDeletedIsRemovedAtOne()
    {
        var path = SixRecords();
        Tamper(path, "DELETE FROM audit_record WHERE seq = 1;");
        AssertBad(Verify(), AuditVerifier.Removed, 1);
    }

    [Fact]
    public void AChainedRecordDisguisedAsAnUnchainedEntryIsRemoved()
    {
        // Unchained entries are outside the chain; turning a record into one takes it out of the chain.
        var path = SixRecords();
        Tamper(path, "UPDATE audit_record SET seq = NULL, prev_hmac = NULL, hmac = NULL WHERE seq = 4;");
        var result = Verify();
        AssertBad(result, AuditVerifier.Removed, 4);
        Assert.Equal(1, result.UnchainedCount);
    }

    [Fact]
    public void TwoRecordsSwappedAreReordered()
    {
        var path = SixRecords();
        var (three, four) = (IdOf(path, 3), IdOf(path, 4));
        Tamper(path, $"""
            UPDATE audit_record SET id = -1 WHERE seq = 3;
            UPDATE audit_record SET id = {three} WHERE seq = 4;
            UPDATE audit_record SET id = {four} WHERE seq = 3;
            """);
        Assert.Equal(four, IdOf(path, 3));
        AssertBad(Verify(), AuditVerifier.Reordered, 3);
    }

    [Fact]
    public void ARecordMovedToTheEndIsReordered()
    {
        var path = SixRecords();
        Tamper(path, "UPDATE audit_record SET id = 1000 WHERE seq = 2;");
        AssertBad(Verify(), AuditVerifier.Reordered, 2);
    }

    [Fact]
    public void ACutTailIsTruncatedAfterTheLastRecordLeft()
    {
        var path = SixRecords();
        Tamper(path, "DELETE FROM audit_record WHERE seq > 4;");
        var result = Verify();
        AssertBad(result, AuditVerifier.Truncated, 5);
        Assert.Equal(4, result.LastSequenceNumber);
        Assert.Equal(6, result.Head!.SequenceNumber);
        Assert.Contains("2 record(s) were cut from the end", result.Message);
    }

    [Theory]
    [InlineData("UPDATE audit_head SET time = time + 1;")]
    [InlineData("UPDATE audit_head SET seq = 4;")]
    [InlineData("UPDATE audit_head SET hmac = (SELECT hmac FROM audit_record WHERE seq = 4);")]
    [InlineData("UPDATE audit_head SET head_hmac = zeroblob(32);")]
    public void AnEditedHeadIsEdited(string change)
    {
        var path = SixRecords();
        Tamper(path, change);
        var result = Verify();
        Assert.False(result.IsValid, result.Message);
        Assert.Equal(AuditVerifier.Edited, result.Problem);
    }

    [Fact]
    public void AnEditedHeadIsEditedAtTheHeadsSequenceNumber()
    {
        var path = SixRecords();
        Tamper(path, "UPDATE audit_head SET time = time + 1;");
        AssertBad(Verify(), AuditVerifier.Edited, 6);
    }

    [Fact]
    public void ADeletedHeadIsEdited()
    {
        var path = SixRecords();
        Tamper(path, "DELETE FROM audit_head;");
        var result = Verify();
        AssertBad(result, AuditVerifier.Edited, 6);
        Assert.Contains("its head is gone", result.Message);
    }

    [Theory]
    [InlineData("UPDATE audit_head SET time = time + 1;", "Edited", 6)]
    [InlineData("UPDATE audit_head SET seq = 4;", "Edited", 4)]
    [InlineData("DELETE FROM audit_head;", "Edited", 6)]
    [InlineData("DELETE FROM audit_record WHERE seq > 4;", "Truncated", 5)]
    [InlineData("INSERT INTO audit_record (seq, time, operation, result_type, result_signature, duration_us, prev_hmac, hmac) SELECT 7, time, 'SecretGet', 'Success', 'OK', 0, hmac, zeroblob(32) FROM audit_head;", "Edited", 7)]
    public void AfterDamageToTheLogOperationsGoOnRecordedUnchainedAndTheDamageStaysNamed(string damage, string problem, long seq)
    {
        // Chaining on from a damaged head would trust it or write a fresh head over the evidence;
        // refusing every operation would leave no way even to verify. Records go in unchained.
        var path = SixRecords();
        Tamper(path, damage);
        var unchainedBefore = AuditRows.Read(path).Count(r => r.Seq is null);
        AssertBad(Verify(), problem, seq);
        var storedHead = HeadRow(path);

        var vault = admin.Open(Name);
        var before = AuditRows.LastId(path);
        vault.Set("after", "value");
        Assert.Equal("value", vault.GetSecret("after").Plain());
        Throws(() => vault.GetSecret("missing"), "SecretNotFound");
        var head = vault.GetAuditHead();
        var written = AuditRows.Read(path, before);
        Assert.Equal(
            [AuditOperations.SecretSet, AuditOperations.SecretGet, AuditOperations.SecretGet, AuditOperations.AuditHeadGet],
            written.Select(r => r.Operation));
        Assert.All(written, r => Assert.Equal((null, null, null), (r.Seq, r.PrevHmac, r.Hmac)));
        // The head is left as the damage left it.
        Assert.Equal(storedHead, HeadRow(path));
        Assert.Equal(long.Parse(AuditRows.Query(path, "SELECT coalesce((SELECT seq FROM audit_head), 0);"), System.Globalization.CultureInfo.InvariantCulture), head.SequenceNumber);

        var again = Verify();
        AssertBad(again, problem, seq);
        Assert.Equal(unchainedBefore + written.Count + 1, again.UnchainedCount);
    }

    [Fact]
    public void ARecordCopiedFromAnotherVaultIsEdited()
    {
        // Another vault's records carry HMACs under another key.
        var path = SixRecords();
        admin.CreateVault("other");
        var other = admin.Open("other");
        other.Set("s3", "x");
        var otherRow = AuditRows.Read(other.Path).Single(r => r.Seq == 2);
        Tamper(path, $"UPDATE audit_record SET hmac = x'{Convert.ToHexString(otherRow.Hmac!)}', prev_hmac = x'{Convert.ToHexString(otherRow.PrevHmac!)}' WHERE seq = 2;");
        AssertBad(Verify(), AuditVerifier.Edited, 2);
    }

    /// <summary>Copies the vault file aside as it is now (checkpointed: no -wal holds any of it).</summary>
    private static string Snapshot(string path)
    {
        VaultCache.Evict(path);
        AuditRows.Execute(path, "PRAGMA wal_checkpoint(TRUNCATE);");
        var copy = path + ".old";
        File.Copy(path, copy);
        return copy;
    }

    private static void PutBack(string path, string copy)
    {
        VaultCache.Evict(path);
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }

        File.Copy(copy, path, overwrite: true);
    }

    [Fact]
    public void ARollbackShowsOnlyAgainstAHeadKeptElsewhere()
    {
        var path = SixRecords();
        var copy = Snapshot(path);

        var vault = admin.Open(Name);
        vault.Set("s6", "later");
        vault.DeleteSecret("s1");
        var head = vault.GetAuditHead();
        Assert.Equal(9, head.SequenceNumber);
        Assert.Equal(head.ToString(), VaultAuditHead.Parse(head.ToString()).ToString());
        Assert.True(Verify(head).IsValid);
        Assert.True(Verify(VaultAuditHead.Parse(head.ToString())).IsValid);
        Assert.True(Verify(VaultAuditHead.Parse($"{head.SequenceNumber}:{head.Hmac.ToUpperInvariant()}")).IsValid);

        PutBack(path, copy);
        var rolledBack = Verify(head);
        AssertBad(rolledBack, AuditVerifier.RolledBack, 7);
        Assert.Equal(head.SequenceNumber, rolledBack.ExpectedHead!.SequenceNumber);
        Assert.Contains("before the anchored head 9", rolledBack.Message);

        // From inside the file a rollback cannot be seen: the older copy is a valid log of its own.
        var inside = Verify();
        Assert.True(inside.IsValid, inside.Message);
        Throws(() => admin.Open(Name).GetSecret("s6"), "SecretNotFound");
    }

    [Fact]
    public void ARollbackWrittenPastTheAnchoredHeadIsStillRolledBack()
    {
        var path = SixRecords();
        var copy = Snapshot(path);
        var vault = admin.Open(Name);
        vault.Set("s6", "later");
        var head = vault.GetAuditHead();
        Assert.Equal(8, head.SequenceNumber);

        PutBack(path, copy);
        var again = admin.Open(Name);
        for (var i = 0; i < 4; i++)
        {
            again.Set("t" + i, "other history");
        }

        Assert.True(AuditRows.LastSeq(path) > head.SequenceNumber);
        var result = Verify(head);
        AssertBad(result, AuditVerifier.RolledBack, 8);
        Assert.Contains("rolled back and written again", result.Message);
    }

    [Fact]
    public void AnExpectedHeadFromAnotherHistoryIsRolledBack()
    {
        SixRecords();
        var head = admin.Open(Name).GetAuditHead();
        AssertBad(Verify(VaultAuditHead.Parse($"{head.SequenceNumber}:{new string('0', 64)}")), AuditVerifier.RolledBack, head.SequenceNumber);
        AssertBad(Verify(VaultAuditHead.Parse($"1000:{head.Hmac}")), AuditVerifier.RolledBack, head.SequenceNumber + 2);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("5")]
    [InlineData(":")]
    [InlineData("5:")]
    [InlineData("x:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("-1:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("+5:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("5:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0")]
    [InlineData("5:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a088")]
    [InlineData("5:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g")]
    [InlineData("5:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08:1")]
    [InlineData("5 :9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    public void AHeadThatDoesNotParseSaysHowToWriteIt(string text)
    {
        var ex = Assert.Throws<FormatException>(() => VaultAuditHead.Parse(text));
        Assert.Contains("<sequence>:<hmac>", ex.Message);
    }

    [Fact]
    public void AHeadParsesFromItsStringForm()
    {
        var head = VaultAuditHead.Parse(" 42:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 ");
        Assert.Equal(42, head.SequenceNumber);
        Assert.Equal("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", head.Hmac);
        Assert.Equal("42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", head.ToString());
        Assert.Throws<ArgumentNullException>(() => VaultAuditHead.Parse(null!));
    }

    [Fact]
    public void AVaultFromBeforeTheAuditLogStartsItsChainAtOne()
    {
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        vault.Set("db", "db-value");
        Tamper(vault.Path, BeforeStep6 + "DROP TABLE audit_record; DROP TABLE audit_head; PRAGMA user_version = 3;");
        Assert.Equal("3", AuditRows.Query(vault.Path, "PRAGMA user_version;"));
        Unpin(admin, Name, vault.Path);

        var migrated = admin.Open(Name);
        Assert.Equal("db-value", migrated.GetSecret("db").Plain());
        // 7: migrated through schema 6 (authenticated metadata) and 7 (recorded types).
        Assert.Equal("7", AuditRows.Query(vault.Path, "PRAGMA user_version;"));

        // The chain starts at one with the upgrade that gave the vault its MACs, then the read.
        var records = AuditRows.Read(vault.Path).ToList();
        Assert.Equal([(1L, AuditOperations.VaultUpgrade, "Success"), (2L, AuditOperations.SecretGet, "Success")],
            records.Select(r => (r.Seq, r.Operation, r.ResultType)));
        Assert.Equal(new byte[32], records[0].PrevHmac);

        var result = migrated.VerifyAuditLog();
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(2, result.RecordCount);
        Assert.Equal(4, migrated.GetAuditHead().SequenceNumber);
    }
}
