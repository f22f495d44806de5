using System.Collections;
using System.Text;
using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>The log says who set which value (its HMAC), never what the value was: not in a record, an export, the files or an error.</summary>
public sealed class AuditPlaintextTests : IDisposable
{
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private static readonly CallerContext Other = TestHome.Caller("uid:2000", "gid:2000");
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    /// <summary>The forms a value could leak in: as text, UTF-16, base64 and hex of its UTF-8 bytes.</summary>
    private static IEnumerable<string> TextForms(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return [value, Convert.ToBase64String(utf8), Convert.ToBase64String(Encoding.Unicode.GetBytes(value)), Convert.ToHexString(utf8), Convert.ToHexStringLower(utf8)];
    }

    private static IEnumerable<byte[]> ByteForms(string value) =>
        PlaintextTests.Encodings(value).Concat(TextForms(value).Skip(1).Select(Encoding.UTF8.GetBytes));

    [Fact]
    public void NoValueIsInAnyRecordExportOrFileAndItsHmacIsTheAuditHash()
    {
        var value = "Sup3r-s3cret-" + Guid.NewGuid().ToString("N");
        var admin = home.As(Admin);
        admin.CreateVault("app");
        var vault = admin.Open("app");
        var other = home.As(Other).Open("app");
        var errors = new List<string>();
        void Refused(Action act, string errorId) => errors.Add(Throws(act, errorId).Message);

        var set = vault.Set("db", value, new SecretSetOptions { ContentType = "text/plain" });
        Assert.Equal(value, vault.GetSecret("db").Plain());
        Assert.Equal(value, vault.GetSecret("db", set.Version).Plain());
        vault.UpdateSecret("db", null, new SecretUpdate { Tags = new Hashtable { ["env"] = "prod" } });
        var blob = vault.BackupSecret("db");
        vault.DeleteSecret("db");
        vault.PurgeSecret("db");
        vault.RestoreSecret(blob, "db.blob");
        Assert.Equal(value, vault.GetSecret("db").Plain());
        vault.Set("gone", value);
        vault.DeleteSecret("gone");

        Refused(() => vault.Set("bad name", value), "InvalidSecretName");
        Refused(() => vault.Set("big", value + new string('x', 30_000)), "SecretValueTooLarge");
        Refused(() => vault.Set("db", value, new SecretSetOptions { ContentType = new string('c', 300) }), "InvalidSecretAttribute");
        Refused(() => vault.SetSecret("db", [.. Encoding.UTF8.GetBytes(value), 0xFF]), "InvalidSecretValue");
        Refused(() => vault.Set("gone", value), "SecretIsDeleted");
        Refused(() => other.Set("db", value), "AccessDenied");
        Refused(() => other.AuditHash(Secure(value)), "AccessDenied");
        vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/db");
        Assert.Equal(value, other.GetSecret("db").Plain());
        var hash = vault.AuditHash(Secure(value));

        // The value's HMAC is in every record that set it, and it is what AuditHash gives.
        var rows = AuditRows.Read(vault.Path);
        var sets = rows.Where(r => r.Operation == AuditOperations.SecretSet && r.ResultType == "Success").ToList();
        Assert.Equal(2, sets.Count);
        Assert.All(sets, r => Assert.Equal(hash, r.Property("valueHmac")));
        Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", hash);
        Assert.NotEqual(hash, vault.AuditHash(Secure(value + " ")));

        // Another vault keys its HMACs apart: the same value gives another HMAC there.
        admin.CreateVault("elsewhere");
        Assert.NotEqual(hash, admin.Open("elsewhere").AuditHash(Secure(value)));

        var export = vault.GetAuditLog(new AuditLogQuery { OldestFirst = true }, export: true).ToList();
        Assert.Equal(AuditRows.Count(vault.Path) - 1, export.Count);
        var json = JsonSerializer.Serialize(export);
        foreach (var form in TextForms(value))
        {
            Assert.DoesNotContain(form, json, StringComparison.OrdinalIgnoreCase);
            Assert.All(errors, m => Assert.DoesNotContain(form, m, StringComparison.OrdinalIgnoreCase));
            foreach (var row in AuditRows.Read(vault.Path))
            {
                Assert.All(row.Texts(), t => Assert.DoesNotContain(form, t, StringComparison.OrdinalIgnoreCase));
            }
        }

        foreach (var row in AuditRows.Read(vault.Path))
        {
            foreach (var blobField in new[] { row.PrevHmac, row.Hmac }.OfType<byte[]>())
            {
                Assert.All(ByteForms(value), needle => Assert.True(blobField.AsSpan().IndexOf(needle) < 0));
            }
        }

        // The vault file, its -wal and -shm, the key file and the registry, while the vault is open.
        PlaintextTests.AssertNotInFiles(home.Directory, [value]);
        foreach (var file in Directory.EnumerateFiles(home.Directory, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.All(ByteForms(value), needle => Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"the value is in {file}"));
        }
    }
}
