using Vault.Core.Audit;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Tests;

/// <summary>
/// A record's and the head's HMAC are pinned to the values the first implementation (37d1518, the
/// fields fed to the HMAC one by one) gave, so a faster way of computing them never strands a log
/// written before it.
/// </summary>
public sealed class AuditHmacFormTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    private static readonly AuditRow Full = new()
    {
        Seq = 7,
        PrevHmac = Enumerable.Repeat((byte)0x5A, 32).ToArray(),
        Time = 1764090000123,
        Operation = "SecretSet",
        CallerId = "uid:1000",
        CallerName = "zo\u00eb",
        CallerType = "User",
        Target = "vault://app/secrets/db/0123456789abcdef0123456789abcdef",
        ObjectName = "db",
        ResultType = "Success",
        ResultSignature = "OK",
        Description = "A new version \u2014 \u65e5\u672c\u8a9e \U0001F600",
        DurationUs = 1234,
        CorrelationId = "9f0c2d7e-1b3a-4c5d-8e9f-0a1b2c3d4e5f",
        Client = """{"version":"0.4.0"}""",
        Properties = """{"valueHmac":"hmac-sha256:00"}""",
    };

    [Fact]
    public void ARecordWithEveryFieldKeepsItsHmac() =>
        Assert.Equal("3a44d90c6849ea5532d4e4b9e3b2bceee25a54a9811ed8498acd77ee79d43ac1", Mac(Full));

    [Fact]
    public void ARecordWithNullsAndAnEmptyFieldKeepsItsHmac() =>
        Assert.Equal(
            "13e4b6452558b078ae4337c9d85b1b87c6d2ef0d80e6c89919d548b2f1c87eed",
            Mac(new AuditRow { Time = 0, Operation = "VaultUnlock", ResultType = "Failed", ResultSignature = string.Empty }));

    [Fact]
    public void ARecordWithALongFieldKeepsItsHmac() =>
        Assert.Equal("86d5bb3b6fdd68cc5513e56004465a1bca304a6caa167ad3a3760383468e7e26", Mac(Full with { Description = new string('\u00e9', 600) }));

    [Fact]
    public void TheChainCursorReadsEachRecordAsTheCanonicalBytesItsHmacCovers()
    {
        // Test-VaultAuditLog reads the columns straight from SQLite and keys its HMAC once: each
        // record, read back from a real vault file, must give the HMAC RecordHmac gives for it.
        using var home = new TestHome();
        TestValues.Tamper(home.NewVault("pinned").Path, "DELETE FROM audit_record;");
        var vault = home.Manager.Open("pinned");
        AuditRow[] rows =
        [
            Full,
            new AuditRow { Seq = 1, Time = 0, Operation = "VaultUnlock", ResultType = "Failed", ResultSignature = string.Empty },
            Full with { Seq = 8, Description = new string('\u00e9', 600) },
        ];
        using (var db = vault.Cached.Store.BeginWrite())
        {
            foreach (var row in rows)
            {
                db.Audit.Insert(row);
            }

            db.Commit();
        }

        using var read = vault.Cached.Store.BeginRead();
        using var cursor = read.Audit.ReadChain();
        var canonical = new AuditRecordFormat.Canonical(64);
        try
        {
            foreach (var row in rows)
            {
                Assert.True(cursor.Next());
                Assert.Equal(row.Seq, cursor.GetInt64(AuditField.Seq));
                AuditRecordFormat.Of(cursor, ref canonical);
                Assert.Equal(Mac(row), Hex(AuditMacs.Compute(Key, canonical.Written)));
            }
        }
        finally
        {
            canonical.Dispose();
        }

        Assert.False(cursor.Next());
    }

    [Fact]
    public void TheHeadKeepsItsHmac() =>
        Assert.Equal(
            "772ad3013b86784814d50c7733a01a2d53e66f747c3ec4a039c1fd13fdd704ad",
            Hex(Compute(AuditRecordFormat.OfHead(42, Enumerable.Repeat((byte)0xAB, 32).ToArray(), 1764090000123))));

    /// <summary>A record's HMAC as the barrier makes it (AuditMacs over its canonical bytes), under the test key.</summary>
    private static string Mac(AuditRow row) => Hex(Compute(AuditRecordFormat.Of(row)));

    private static byte[] Compute(AuditRecordFormat.Canonical canonical)
    {
        try
        {
            return AuditMacs.Compute(Key, canonical.Written);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    private static string Hex(byte[] hmac) => Convert.ToHexStringLower(hmac);
}
