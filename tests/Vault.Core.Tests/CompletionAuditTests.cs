using Microsoft.Data.Sqlite;
using Vault.Core.Authorization;
using Xunit;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Tab completion reads names only: no audit record, no keyring, so no PIN and no unchained entry.</summary>
public sealed class CompletionAuditTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void CompletionWritesNoRecordAndNeedsNoKey()
    {
        var vault = home.NewVault("app");
        vault.Set("db-one", "v1");
        vault.Set("db-two", "v2");
        vault.Set("other", "v3");
        vault.DeleteSecret("other");
        var before = Records(vault.Path);

        Assert.Equal(["db-one", "db-two"], home.Manager.Open("app").CompleteSecretNames(NamePattern.Parse("db*"), deleted: false, 500));
        Assert.Equal(["other"], home.Manager.Open("app").CompleteSecretNames(NamePattern.All, deleted: true, 500));
        Assert.Contains("Vault Secrets User", home.Manager.Open("app").CompleteRoleNames());
        Assert.Equal(before, Records(vault.Path));

        // Without the key file the vault cannot open, but completion still reads names and writes nothing.
        VaultCache.Evict(vault.Path);
        File.Move(vault.Path + ".key", vault.Path + ".key.moved");
        Assert.Equal(["db-one"], home.Manager.Open("app").CompleteSecretNames(NamePattern.Parse("db-o*"), deleted: false, 500));
        Assert.Equal(before, Records(vault.Path));

        // A listing, by contrast, is an operation: it fails, and the failure is an unchained entry.
        Throws(() => home.Manager.Open("app").ListSecrets(), "KeyProtectorUnavailable");
        Assert.Equal(before + 1, Records(vault.Path));
    }

    [Fact]
    public void CompletionShowsOnlyWhatTheCallerMaySee()
    {
        var vault = home.NewVault("app");
        vault.Set("app1-db", "v1");
        vault.Set("payroll", "v2");
        var dev = TestHome.Caller("uid:5001");
        vault.NewRoleAssignment("Vault Secrets User", dev.Principal, RbacScope.ForSecret("app1-*"));

        var asDev = home.As(dev).Open("app");
        Assert.Equal(["app1-db"], asDev.CompleteSecretNames(NamePattern.All, deleted: false, 500));
        // Without roleDefinitions/read only the built-in names, which every vault has: no custom role leaks.
        home.Manager.Open("app").NewRoleDefinition("Payroll Reader", null, ["Vault/secrets/getSecret/action"], []);
        Assert.Contains("Payroll Reader", home.Manager.Open("app").CompleteRoleNames());
        Assert.DoesNotContain("Payroll Reader", asDev.CompleteRoleNames());
    }

    private static long Records(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM audit_record;";
        return (long)command.ExecuteScalar()!;
    }
}
