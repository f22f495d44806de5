using Microsoft.Data.Sqlite;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

public sealed class VaultLifecycleTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void NewVaultMakesAnOwnerOnlyFileAndKeyAndBecomesTheFirstDefault()
    {
        var info = home.Manager.CreateVault("first-vault", null, 30, true);

        Assert.Equal("first-vault", info.VaultName);
        Assert.Equal(Path.Combine(home.Directory, "vaults", "first-vault.vault"), info.Path);
        Assert.Equal("Software", info.KeyProtector);
        Assert.Equal(info.Path + ".key", info.KeyLocation);
        Assert.Equal(30, info.SoftDeleteRetentionInDays);
        Assert.True(info.EnablePurgeProtection);
        Assert.True(info.IsDefault);
        Assert.Equal(1, info.KeyringTerms);
        Assert.Equal(32, new FileInfo(info.KeyLocation!).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(info.Path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(info.KeyLocation!));
        }

        var second = home.Manager.CreateVault("second-vault");
        Assert.False(second.IsDefault);
        Assert.Equal(90, second.SoftDeleteRetentionInDays);
        Assert.Equal("first-vault", home.Manager.DefaultVaultName);
        Assert.Equal("first-vault", home.Manager.Open(null).VaultName);
    }

    [Fact]
    public void NamesAndFilesAreNeverTakenTwice()
    {
        home.Manager.CreateVault("dup-vault");
        Throws(() => home.Manager.CreateVault("DUP-VAULT"), "VaultAlreadyExists");
        var path = Path.Combine(home.Directory, "vaults", "dup-vault.vault");
        Throws(() => home.Manager.CreateVault("other-vault", path), "VaultFileExists");
        Assert.Equal(["dup-vault"], home.Manager.VaultNames);
    }

    [Fact]
    public void OpeningAnUnknownVaultOrNoDefaultFails()
    {
        Throws(() => home.Manager.Open(null), "NoDefaultVault");
        Throws(() => home.Manager.Open("nope"), "VaultNotFound");
        Throws(() => home.Manager.GetVault("nope"), "VaultNotFound");
        Throws(() => home.Manager.SetDefault("nope"), "VaultNotFound");
    }

    [Fact]
    public void RegisterAndUnregisterTouchNoFile()
    {
        var elsewhere = Path.Combine(home.Directory, "shared", "team.vault");
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        var other = new VaultManager(Path.Combine(home.Directory, "other-user"), home.Clock);
        other.CreateVault("team-vault", elsewhere);
        other.Open("team-vault").Set("db", "one");
        VaultCache.Evict(elsewhere);
        var before = Snapshot(elsewhere);

        var info = home.Manager.RegisterVault(elsewhere);
        Assert.Equal("team-vault", info.VaultName);
        Assert.Equal(before, Snapshot(elsewhere));
        Throws(() => home.Manager.RegisterVault(elsewhere, "again-vault"), "VaultAlreadyExists");

        home.Manager.UnregisterVault("team-vault");
        Assert.Empty(home.Manager.VaultNames);
        Assert.True(File.Exists(elsewhere));
        Throws(() => home.Manager.UnregisterVault("team-vault"), "VaultNotFound");

        home.Manager.RegisterVault(elsewhere, "mine");
        Assert.Equal("one", home.Manager.Open("mine").GetSecret("db").Plain());
        Assert.Equal("mine", home.Manager.Open("mine").GetSecret("db").VaultName);
    }

    // The database and key file, byte for byte. (A reader may leave SQLite's -shm index beside
    // them: it holds no vault data and is rebuilt by whoever opens the file next.)
    private static string Snapshot(string path) =>
        string.Join(",", new[] { path, path + ".key" }.Select(f => $"{Path.GetFileName(f)}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));

    [Fact]
    public void RegisterRefusesMissingAndForeignFiles()
    {
        Throws(() => home.Manager.RegisterVault(Path.Combine(home.Directory, "missing.vault")), "VaultFileNotFound");

        var text = Path.Combine(home.Directory, "notes.txt");
        File.WriteAllText(text, "just some text that is long enough to not be a database header, really");
        Throws(() => home.Manager.RegisterVault(text), "NotAVaultFile");

        var otherDb = Path.Combine(home.Directory, "other.db");
        using (var c = new SqliteConnection($"Data Source={otherDb};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE t (x);";
            cmd.ExecuteNonQuery();
        }

        Throws(() => home.Manager.RegisterVault(otherDb), "NotAVaultFile");
        Assert.Empty(home.Manager.VaultNames);
    }

    [Fact]
    public void AVaultFromANewerModuleIsRefused()
    {
        var vault = home.NewVault("app");
        Tamper(vault.Path, "PRAGMA user_version = 99;");
        Throws(() => home.Manager.Open("app").ListSecrets().ToList(), "VaultSchemaTooNew");
    }

    [Fact]
    public void UpdateChangesRetentionAndTurnsPurgeProtectionOnButNeverOff()
    {
        home.Manager.CreateVault("upd-vault");
        var updated = home.Manager.UpdateVault("upd-vault", 7, true);
        Assert.Equal(7, updated.SoftDeleteRetentionInDays);
        Assert.True(updated.EnablePurgeProtection);

        var ex = Throws(() => home.Manager.UpdateVault("upd-vault", 30, false), "InvalidVaultAttribute");
        Assert.Equal(VaultErrorKind.InvalidOperation, ex.Kind);
        Throws(() => home.Manager.UpdateVault("upd-vault", 91, null), "InvalidVaultAttribute");
        var unchanged = home.Manager.GetVault("upd-vault");
        Assert.Equal(7, unchanged.SoftDeleteRetentionInDays);
        Assert.True(unchanged.EnablePurgeProtection);
    }

    [Fact]
    public void RemoveDeletesEveryFileOfTheVault()
    {
        var vault = home.NewVault("gone-vault");
        vault.Set("db", "x");
        var folder = Path.GetDirectoryName(vault.Path)!;
        Assert.NotEmpty(Directory.EnumerateFiles(folder, "gone-vault*"));

        home.Manager.RemoveVault("gone-vault");

        Assert.Empty(Directory.EnumerateFiles(folder, "gone-vault*"));
        Assert.Empty(home.Manager.VaultNames);
        Assert.Null(home.Manager.DefaultVaultName);
        Throws(() => home.Manager.Open("gone-vault"), "VaultNotFound");
    }

    [Fact]
    public void RemoveIsRefusedWhilePurgeProtectionHoldsSecrets()
    {
        var vault = home.NewVault("kept-vault", retentionDays: 7, purgeProtection: true);
        vault.Set("db", "x");
        Assert.Contains("1 live secret", Throws(() => home.Manager.RemoveVault("kept-vault"), "PurgeProtected").Message);

        vault.DeleteSecret("db");
        var ex = Throws(() => home.Manager.RemoveVault("kept-vault"), "PurgeProtected");
        Assert.Contains("kept-vault", ex.Message);
        Assert.Contains(home.Clock.Now.UtcDateTime.AddDays(7).ToString("u", System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.True(File.Exists(vault.Path));

        home.Clock.Advance(TimeSpan.FromDays(8));
        home.Manager.RemoveVault("kept-vault");
        Assert.False(File.Exists(vault.Path));
    }

    [Fact]
    public void AnEmptyPurgeProtectedVaultCanBeRemoved()
    {
        home.NewVault("empty-vault", purgeProtection: true);
        home.Manager.RemoveVault("empty-vault");
        Assert.Empty(home.Manager.VaultNames);
    }

    [Fact]
    public void GetVaultsReportsAMissingFileWithoutHidingTheOthers()
    {
        var a = home.NewVault("vault-a");
        home.NewVault("vault-b");
        VaultCache.Evict(a.Path);
        File.Move(a.Path, a.Path + ".moved");

        var all = home.Manager.GetVaults().ToList();
        // Listed with its status and why, not as an error.
        Assert.Null(all[0].Error);
        Assert.Equal((VaultStatus.Missing, "VaultFileNotFound", a.Path), (all[0].Info!.Status, all[0].Info!.StatusErrorId, all[0].Info!.Path));
        Assert.Contains("Unregister-Vault -Name 'vault-a'", all[0].Info!.StatusReason);
        Assert.Equal(("vault-b", VaultStatus.Ok), (all[1].Info?.VaultName, all[1].Info?.Status));
        Assert.Single(home.Manager.GetVaults(NamePattern.Parse("*-b")));
    }
}
