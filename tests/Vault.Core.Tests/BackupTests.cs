using System.Collections;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

public sealed class BackupTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void RestoreBringsBackEveryVersionWithItsAttributes()
    {
        var vault = home.NewVault();
        var v1 = vault.Set("db", "one", new SecretSetOptions { ContentType = "text/plain", Tags = new Hashtable { ["env"] = "dev" } });
        home.Clock.Advance(TimeSpan.FromHours(1));
        var v2 = vault.Set("db", "two", new SecretSetOptions { Expires = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        vault.UpdateSecret("db", v1.Version, new SecretUpdate { Enabled = false });
        var before = vault.ListVersions("db").ToList();

        var blob = vault.BackupSecret("db");
        vault.DeleteSecret("db");
        vault.PurgeSecret("db");
        var restored = vault.RestoreSecret(blob, "db.blob");

        Assert.Equal(v2.Version, restored.Version);
        var after = vault.ListVersions("db").ToList();
        Assert.Equal(before.Select(Describe), after.Select(Describe));
        Assert.Equal("two", vault.GetSecret("db").Plain());
        Throws(() => vault.GetSecret("db", v1.Version), "SecretDisabled");
        vault.UpdateSecret("db", v1.Version, new SecretUpdate { Enabled = true });
        Assert.Equal("one", vault.GetSecret("db", v1.Version).Plain());
    }

    private static string Describe(VaultSecretProperties p) =>
        $"{p.Name}|{p.Version}|{p.Enabled}|{p.NotBefore:o}|{p.Expires:o}|{p.Created:o}|{p.ContentType}|{string.Join(",", p.Tags.Keys.Cast<string>().Order().Select(k => k + "=" + p.Tags[k]))}";

    [Fact]
    public void RestoreRefusesAnExistingOrDeletedName()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "one");
        var blob = vault.BackupSecret("db");

        var exists = Throws(() => vault.RestoreSecret(blob, "db.blob"), "SecretAlreadyExists");
        Assert.Equal("db", exists.Target);
        vault.DeleteSecret("db");
        Throws(() => vault.RestoreSecret(blob, "db.blob"), "SecretIsDeleted");
        Assert.Single(vault.ListDeletedSecrets());
    }

    [Fact]
    public void EveryAlteredByteIsRefusedAsBackupInvalid()
    {
        var vault = home.NewVault();
        vault.Set("db", "one");
        var blob = vault.BackupSecret("db");
        vault.DeleteSecret("db");
        vault.PurgeSecret("db");

        for (var i = 0; i < blob.Length; i++)
        {
            var damaged = (byte[])blob.Clone();
            damaged[i] ^= 0x01;
            var ex = Throws(() => vault.RestoreSecret(damaged, "x.blob"), "BackupInvalid");
            Assert.Equal("x.blob", ex.Target);
        }

        Throws(() => vault.RestoreSecret(blob.AsSpan(0, blob.Length - 1), "x.blob"), "BackupInvalid");
        Throws(() => vault.RestoreSecret([], "x.blob"), "BackupInvalid");
        Throws(() => vault.RestoreSecret("not a backup at all, just some text"u8, "x.blob"), "BackupInvalid");
        Assert.Empty(vault.ListSecrets());
        Assert.Empty(vault.ListDeletedSecrets());
    }

    [Fact]
    public void ABackupIsBoundToItsKeyring()
    {
        var source = home.NewVault("source");
        source.Set("db", "one");
        var blob = source.BackupSecret("db");
        var other = home.NewVault("other");

        var ex = Throws(() => other.RestoreSecret(blob, "db.blob"), "BackupInvalid");
        Assert.Contains("another keyring", ex.Message);
        Assert.Empty(other.ListSecrets());
    }

    [Fact]
    public void ABackupRestoresIntoACopyOfItsVault()
    {
        var source = home.NewVault("source");
        source.Set("db", "one");
        var blob = source.BackupSecret("db");

        // A copy of the vault file with its key file: the same keyring, another file and name.
        // Closing the source first folds its -wal file into the database, as a backup tool should.
        VaultCache.Evict(source.Path);
        var copyDir = Path.Combine(home.Directory, "copy");
        Directory.CreateDirectory(copyDir);
        File.Copy(source.Path, Path.Combine(copyDir, "source.vault"));
        File.Copy(source.Path + ".key", Path.Combine(copyDir, "source.vault.key"));
        home.Manager.RegisterVault(Path.Combine(copyDir, "source.vault"), "copy");
        var copy = home.Manager.Open("copy");
        copy.DeleteSecret("db");
        copy.PurgeSecret("db");

        copy.RestoreSecret(blob, "db.blob");
        Assert.Equal("one", copy.GetSecret("db").Plain());
        Assert.Equal("copy", copy.GetSecret("db").VaultName);
    }

    [Fact]
    public void BackupOfAMissingOrDeletedSecretIsNotFound()
    {
        var vault = home.NewVault();
        Throws(() => vault.BackupSecret("nope"), "SecretNotFound");
        vault.Set("db", "x");
        vault.DeleteSecret("db");
        Throws(() => vault.BackupSecret("db"), "SecretNotFound");
    }

    [Fact]
    public void TheBlobHoldsNoPlaintext()
    {
        var vault = home.NewVault();
        const string value = "Plaintext-Marker-For-Backup-7f3a";
        vault.Set("db", value, new SecretSetOptions { ContentType = "text/plain" });
        var blob = vault.BackupSecret("db");

        Assert.Equal(-1, blob.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(value)));
        Assert.Equal(-1, blob.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)))));
        Assert.Equal(-1, blob.AsSpan().IndexOf("text/plain"u8));
    }
}
