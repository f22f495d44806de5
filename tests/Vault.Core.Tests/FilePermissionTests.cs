using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// Files that decide what a vault is (its key file, the registry) are owner-only from the start, and a
/// key file anyone else could write, or a link to one elsewhere, is refused rather than used.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FilePermissionTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TestHome home;

    public FilePermissionTests()
    {
        Assert.False(OperatingSystem.IsWindows(), "These tests check Unix modes; on Windows the files take their folder's permissions (README).");
        home = new TestHome();
    }

    public void Dispose() => home.Dispose();

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    [Fact]
    public void TheHomeTheRegistryTheVaultAndItsKeyAreOwnerOnly()
    {
        var fresh = Path.Combine(home.Directory, "fresh-home");
        var manager = new VaultManager(fresh, home.Clock);
        var info = manager.CreateVault("perm-vault");
        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, Mode(fresh));
        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, Mode(Path.GetDirectoryName(info.Path)!));
        Assert.Equal(OwnerOnly, Mode(Path.Combine(fresh, "vaults.json")));
        Assert.Equal(OwnerOnly, Mode(Path.Combine(fresh, "vaults.json.lock")));
        Assert.Equal(OwnerOnly, Mode(info.Path));
        Assert.Equal(OwnerOnly, Mode(info.Path + ".key"));

        // The registry stays owner-only when it is written again.
        manager.CreateVault("perm-two");
        Assert.Equal(OwnerOnly, Mode(Path.Combine(fresh, "vaults.json")));
        VaultCache.Evict(info.Path);
    }

    [Theory]
    [InlineData("666")]
    [InlineData("660")]
    [InlineData("620")]
    [InlineData("602")]
    [InlineData("644")]
    public void AKeyFileOthersCouldWriteOrEveryoneCouldReadIsRefused(string octal)
    {
        var vault = home.NewVault("mode-vault");
        vault.Set("db", "v");
        var keyFile = vault.Path + ".key";
        File.SetUnixFileMode(keyFile, (UnixFileMode)Convert.ToInt32(octal, 8));
        VaultCache.Evict(vault.Path);

        var error = Throws(() => home.Manager.Open("mode-vault").GetSecret("db"), "KeyFileInsecure");
        Assert.Equal((VaultErrorKind.Unavailable, keyFile), (error.Kind, error.Target));
        Assert.Contains($"mode 0{octal}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod g-w,o-rwx '{keyFile}'", error.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(keyFile, OwnerOnly);
        Assert.Equal("v", home.Manager.Open("mode-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void AGroupReadableKeyFileAsTheSharedVaultRecipeMakesItOpensAndStaysSoAfterRotation()
    {
        var vault = home.NewVault("shared-vault");
        vault.Set("db", "v");
        var keyFile = vault.Path + ".key";
        File.SetUnixFileMode(keyFile, OwnerOnly | UnixFileMode.GroupRead);
        VaultCache.Evict(vault.Path);
        var reopened = home.Manager.Open("shared-vault");
        Assert.Equal("v", reopened.GetSecret("db").Plain());

        reopened.RotateRootKey();
        Assert.Equal(OwnerOnly | UnixFileMode.GroupRead, Mode(keyFile));
        VaultCache.Evict(vault.Path);
        Assert.Equal("v", home.Manager.Open("shared-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void AKeyFileThatIsALinkIsRefusedEvenToTheRightKey()
    {
        var vault = home.NewVault("link-vault");
        vault.Set("db", "v");
        var keyFile = vault.Path + ".key";
        var elsewhere = Path.Combine(home.Directory, "elsewhere.key");
        File.Move(keyFile, elsewhere);
        File.CreateSymbolicLink(keyFile, elsewhere);
        VaultCache.Evict(vault.Path);

        var error = Throws(() => home.Manager.Open("link-vault").GetSecret("db"), "KeyFileInsecure");
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Contains(elsewhere, error.Message, StringComparison.Ordinal);

        File.Delete(keyFile);
        File.Move(elsewhere, keyFile);
        Assert.Equal("v", home.Manager.Open("link-vault").GetSecret("db").Plain());
    }
}
