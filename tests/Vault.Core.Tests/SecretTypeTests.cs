using System.Text;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Step 8: a value keeps the type it was set as (SecretManagement's types), recorded in a column of
/// its own that the version's MAC covers, in a stored form that is canonical UTF-8.
/// </summary>
public sealed class SecretTypeTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    private VaultService Open(string name) => home.Manager.Open(name);

    private static SecretContent Credential(string user, string password) => SecretContent.FromCredential(user, Secure(password));

    private static SecretContent Table() => SecretContent.FromHashtable(
        [
            new("Token", SecretContent.FromText(Secure("t-ok"), SecretType.String)),
            new("admin", Credential("root", "r00t-pw")),
            new("blob", SecretContent.FromBytes([0, 255, 1, 128])),
            new("pin", SecretContent.FromText(Secure("1234"))),
        ],
        "cfg");

    private static string Stored(VaultService vault, string name) => SecretValue.ToPlainText(vault.GetSecret(name).SecretValue);

    private static string Column(string path, string name) => AuditRows.Query(path,
        $"SELECT coalesce(v.secret_type, 'NULL') FROM secret_version v JOIN secret s USING (secret_id) WHERE s.name = '{name}' ORDER BY v.seq DESC LIMIT 1;");

    [Fact]
    public void EachTypeRoundTripsAndIsRecorded()
    {
        var vault = home.NewVault("app");
        vault.SetSecret("text", SecretContent.FromText(Secure("plain"), SecretType.String));
        vault.SetSecret("secure", SecretContent.FromText(Secure("hidden")));
        vault.SetSecret("bytes", SecretContent.FromBytes([0, 1, 2, 254, 255]));
        vault.SetSecret("cred", Credential("svc-user", "pä55\"word\\"));
        vault.SetSecret("cfg", Table());
        vault.Set("old-style", "utf8");

        Assert.Equal(
            [SecretType.String, SecretType.SecureString, SecretType.ByteArray, SecretType.PSCredential, SecretType.Hashtable, SecretType.String],
            new[] { "text", "secure", "bytes", "cred", "cfg", "old-style" }.Select(n => vault.GetSecretProperties(n).SecretType));
        Assert.Equal(["String", "SecureString", "ByteArray", "PSCredential", "Hashtable", "NULL"],
            new[] { "text", "secure", "bytes", "cred", "cfg", "old-style" }.Select(n => Column(vault.Path, n)));

        // Text is stored as its UTF-8 bytes, as before types were recorded.
        Assert.Equal("plain", Stored(vault, "text"));
        Assert.Equal("hidden", SecretValue.ToPlainText(vault.GetSecretContent("secure", null, SecretType.String).Value.Text!));
        Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, vault.GetSecretContent("bytes", null, SecretType.ByteArray).Value.Bytes);

        var cred = vault.GetSecretContent("cred", null, SecretType.PSCredential).Value;
        Assert.Equal(("svc-user", "pä55\"word\\"), (cred.UserName, SecretValue.ToPlainText(cred.Text!)));

        var table = vault.GetSecretContent("cfg", null, SecretType.Hashtable).Value;
        Assert.Equal(["admin", "blob", "pin", "Token"], table.Entries.Select(e => e.Key));
        var entries = table.Entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal((SecretType.String, "t-ok"), (entries["Token"].Type, SecretValue.ToPlainText(entries["Token"].Text!)));
        Assert.Equal((SecretType.SecureString, "1234"), (entries["pin"].Type, SecretValue.ToPlainText(entries["pin"].Text!)));
        Assert.Equal(("root", "r00t-pw"), (entries["admin"].UserName, SecretValue.ToPlainText(entries["admin"].Text!)));
        Assert.Equal(new byte[] { 0, 255, 1, 128 }, entries["blob"].Bytes);
    }

    [Fact]
    public void TheStoredFormIsCanonicalVersionedJson()
    {
        var vault = home.NewVault("app");
        vault.SetSecret("cred", Credential("u", "p"));
        vault.SetSecret("bytes", SecretContent.FromBytes([1, 2, 3]));
        Assert.Equal("""{"v":1,"type":"PSCredential","userName":"u","password":"p"}""", Stored(vault, "cred"));
        Assert.Equal("""{"v":1,"type":"ByteArray","value":"AQID"}""", Stored(vault, "bytes"));

        // The same hashtable, its entries given in any order, has the same bytes.
        vault.SetSecret("cfg", Table());
        var reversed = SecretContent.FromHashtable(Table().Entries.Reverse(), "cfg");
        vault.SetSecret("cfg2", reversed);
        Assert.Equal(Stored(vault, "cfg"), Stored(vault, "cfg2"));
        Assert.StartsWith("""{"v":1,"type":"Hashtable","entries":[{"key":"admin","type":"PSCredential","userName":"root","password":"r00t-pw"},""", Stored(vault, "cfg"));

        // A stored form copies to another vault as the same type (what Set-VaultSecret -InputObject does).
        var other = home.NewVault("other");
        var source = vault.GetSecret("cfg");
        other.SetSecret("cfg", SecretContent.FromStored(source.SecretValue, source.SecretType, "cfg"));
        Assert.Equal((SecretType.Hashtable, Stored(vault, "cfg")), (other.GetSecretProperties("cfg").SecretType, Stored(other, "cfg")));
    }

    [Fact]
    public void ValuesThatAreNotOfTheirTypeAreRefused()
    {
        var nested = Throws(() => SecretContent.FromHashtable([new("inner", Table())], "cfg"), "InvalidSecretValue");
        Assert.Contains("'inner' is a hashtable", nested.Message);
        Throws(() => SecretContent.FromHashtable([new("a", SecretContent.FromBytes([1])), new("A", SecretContent.FromBytes([2]))], "cfg"), "InvalidSecretValue");
        Throws(() => SecretContent.FromStored(Secure("{not json"), SecretType.PSCredential, "x"), "InvalidSecretValue");
        Throws(() => SecretContent.FromStored(Secure("""{"v":1,"type":"ByteArray","value":"AQID"}"""), SecretType.PSCredential, "x"), "InvalidSecretValue");
        Throws(() => SecretContent.FromStored(Secure("""{"v":2,"type":"ByteArray","value":"AQID"}"""), SecretType.ByteArray, "x"), "InvalidSecretValue");
        Throws(() => SecretContent.FromStored(Secure("""{"v":1,"type":"ByteArray","value":"AQID","extra":1}"""), SecretType.ByteArray, "x"), "InvalidSecretValue");
        Throws(() => SecretContent.FromStored(Secure("x"), SecretType.Unknown, "x"), "InvalidSecretValue");
    }

    [Fact]
    public void TheLimitAppliesToTheStoredForm()
    {
        var vault = home.NewVault("app");
        // 20,000 bytes fit as text; as a byte array their base64 (26,668 characters) does not.
        var bytes = new byte[20_000];
        var tooLarge = Throws(() => vault.SetSecret("big", SecretContent.FromBytes(bytes)), "SecretValueTooLarge");
        Assert.Contains("26", tooLarge.Message);
        // Far too large: refused before it is encoded, with the size its base64 would have.
        Assert.Contains("1398104", Throws(() => vault.SetSecret("huge", SecretContent.FromBytes(new byte[1 << 20])), "SecretValueTooLarge").Message);
        Throws(() => vault.SetSecret("huge", SecretContent.FromHashtable([new("a", SecretContent.FromBytes(new byte[15_000])), new("b", SecretContent.FromBytes(new byte[15_000]))], "huge")), "SecretValueTooLarge");
        vault.SetSecret("fits", SecretContent.FromBytes(new byte[18_000]));
        Assert.Equal(18_000, vault.GetSecretContent("fits", null, SecretType.ByteArray).Value.Bytes!.Length);
    }

    [Fact]
    public void AReadForAnotherTypeIsRefusedBeforeTheValueIsOpenedAndAudited()
    {
        var vault = home.NewVault("app");
        vault.SetSecret("cred", Credential("u", "p"));
        vault.Set("text", "t");
        var refused = Throws(() => vault.GetSecretContent("cred", null, SecretType.String), "SecretTypeMismatch");
        Assert.Equal("cred", refused.Target);
        Assert.Equal(VaultErrorKind.InvalidOperation, refused.Kind);
        Assert.Contains("holds a PSCredential, not text", refused.Message);
        Assert.Contains("-AsCredential", refused.Message);
        Assert.DoesNotContain("\"p\"", refused.Message);
        Throws(() => vault.GetSecretContent("text", null, SecretType.Hashtable), "SecretTypeMismatch");
        // Text answers both text types.
        Assert.Equal("t", SecretValue.ToPlainText(vault.GetSecretContent("text", null, SecretType.SecureString).Value.Text!));

        var failed = AuditRows.Query(vault.Path, "SELECT group_concat(operation || ' ' || object_name || ' ' || result_type || ' ' || result_signature || ' ' || coalesce(description, ''), '; ') FROM audit_record WHERE result_type <> 'Success';");
        Assert.StartsWith("SecretGet cred Failed InvalidOperation ", failed);
        Assert.Contains("SecretGet text Failed InvalidOperation ", failed);
    }

    [Fact]
    public void AVersionFromBeforeTypesVerifiesUnchangedAfterTheMigration()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "from-schema-6");
        var path = vault.Path;
        // The vault as schema 6 wrote it: no column, the same MACs.
        Tamper(path, "ALTER TABLE secret_version DROP COLUMN secret_type; PRAGMA user_version = 6;");

        var migrated = Open("app");
        Assert.Equal("from-schema-6", migrated.GetSecret("db").Plain());
        Assert.Equal("7", AuditRows.Query(path, "PRAGMA user_version;"));
        Assert.Equal(SecretType.String, migrated.GetSecretProperties("db").SecretType);
        Assert.True(migrated.VerifyVault().IsValid);
    }

    [Theory]
    [InlineData("cred", "UPDATE secret_version SET secret_type = 'String'")]
    [InlineData("cred", "UPDATE secret_version SET secret_type = NULL")]
    [InlineData("cred", "UPDATE secret_version SET secret_type = 'ByteArray'")]
    [InlineData("text", "UPDATE secret_version SET secret_type = 'PSCredential'")]
    public void ARecordedTypeChangedStrippedOrAddedInTheFileIsRefusedAndNamed(string secret, string edit)
    {
        var vault = home.NewVault("app");
        vault.SetSecret("cred", Credential("u", "p"));
        vault.Set("text", "t");
        vault.Set("other", "o");
        Tamper(vault.Path, $"{edit} WHERE secret_id = (SELECT secret_id FROM secret WHERE name = '{secret}');");

        var refused = Throws(() => Open("app").GetSecret(secret), "MetadataIntegrityFailed");
        Assert.Equal(secret, refused.Target);
        Throws(() => Open("app").GetSecretProperties(secret), "MetadataIntegrityFailed");
        Assert.Equal("o", Open("app").GetSecret("other").Plain());

        var report = Open("app").VerifyVault();
        var problem = Assert.Single(report.Problems);
        Assert.Equal((VaultIntegrityArea.Secret, secret, "MetadataIntegrityFailed"), (problem.Area, problem.Name, problem.ErrorId));
        Assert.Contains("attributes of version", problem.Message);
    }

    [Fact]
    public void ABackupKeepsTheTypeAndARestoreChecksIt()
    {
        var vault = home.NewVault("app");
        vault.SetSecret("cred", Credential("svc", "pw-1"));
        vault.Set("cred", "now-text");
        var blob = vault.BackupSecret("cred");
        vault.DeleteSecret("cred");
        vault.PurgeSecret("cred");

        vault.RestoreSecret(blob, "cred.blob");
        var versions = vault.ListVersions("cred").ToList();
        Assert.Equal([SecretType.String, SecretType.PSCredential], versions.Select(v => v.SecretType));
        var first = vault.GetSecretContent("cred", versions[1].Version, SecretType.PSCredential).Value;
        Assert.Equal(("svc", "pw-1"), (first.UserName, SecretValue.ToPlainText(first.Text!)));
    }

    [Fact]
    public void NoPartOfATypedValueIsInTheAuditLogOrTheFile()
    {
        var password = "Pw-" + Guid.NewGuid().ToString("N");
        var token = "Tk-" + Guid.NewGuid().ToString("N");
        var vault = home.NewVault("app");
        vault.SetSecret("cred", Credential("svc", password));
        vault.SetSecret("cfg", SecretContent.FromHashtable([new("token", SecretContent.FromText(Secure(token), SecretType.String))], "cfg"));
        vault.GetSecretContent("cred", null, SecretType.PSCredential);
        vault.GetSecretContent("cfg", null, SecretType.Hashtable);
        Throws(() => vault.GetSecretContent("cfg", null, SecretType.ByteArray), "SecretTypeMismatch");
        vault.UpdateSecret("cfg", null, new SecretUpdate { ContentType = "application/json" });

        var log = AuditRows.Query(vault.Path, "SELECT group_concat(coalesce(properties, '') || ' ' || coalesce(description, ''), ' ') FROM audit_record;");
        Assert.Contains("valueHmac", log);
        VaultCache.Evict(vault.Path);
        var file = File.ReadAllBytes(vault.Path).Concat(File.Exists(vault.Path + "-wal") ? File.ReadAllBytes(vault.Path + "-wal") : []).ToArray();
        foreach (var value in new[] { password, token })
        {
            Assert.DoesNotContain(value, log);
            foreach (var form in PlaintextTests.Encodings(value))
            {
                Assert.Equal(-1, file.AsSpan().IndexOf(form));
            }
        }

        Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.UTF8.GetBytes("\"password\"")));
    }
}
