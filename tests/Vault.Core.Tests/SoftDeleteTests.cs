using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

public sealed class SoftDeleteTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void ADeletedSecretIsHiddenUntilRecoveredWithAllItsVersions()
    {
        var vault = home.NewVault("app", retentionDays: 7);
        vault.Set("db", "one");
        var two = vault.Set("db", "two");

        var deleted = vault.DeleteSecret("db");
        Assert.Equal(home.Clock.Now.UtcDateTime, deleted.DeletedDate);
        Assert.Equal(home.Clock.Now.UtcDateTime.AddDays(7), deleted.ScheduledPurgeDate);
        Assert.Equal(two.Version, deleted.Version);
        Assert.Equal("vault://app/deletedsecrets/db", deleted.RecoveryId);

        Assert.Empty(vault.ListSecrets());
        Throws(() => vault.GetSecret("db"), "SecretNotFound");
        Throws(() => vault.ListVersions("db").ToList(), "SecretNotFound");
        Throws(() => vault.DeleteSecret("db"), "SecretNotFound");
        Assert.Equal("db", Assert.Single(vault.ListDeletedSecrets()).Name);
        Assert.Equal(deleted.ScheduledPurgeDate, vault.GetDeletedSecret("DB").ScheduledPurgeDate);

        var recovered = vault.RecoverSecret("db");
        Assert.Equal(two.Version, recovered.Version);
        Assert.Equal("two", vault.GetSecret("db").Plain());
        Assert.Equal(2, vault.ListVersions("db").Count());
        Assert.Empty(vault.ListDeletedSecrets());
    }

    [Fact]
    public void SettingADeletedNameFailsWithHowToRecoverOrPurge()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "one");
        vault.DeleteSecret("db");

        var ex = Throws(() => vault.Set("DB", "two"), "SecretIsDeleted");
        Assert.Equal(VaultErrorKind.InvalidOperation, ex.Kind);
        Assert.Contains("Undo-VaultSecretRemoval -VaultName 'app' -Name 'db'", ex.Message);
        Assert.Contains("Remove-VaultSecret -VaultName 'app' -Name 'db' -InRemovedState", ex.Message);
        Assert.Single(vault.ListDeletedSecrets());
    }

    [Fact]
    public void PurgeDeletesForGoodAndFreesTheName()
    {
        var vault = home.NewVault();
        vault.Set("db", "one");
        Throws(() => vault.PurgeSecret("db"), "SecretNotFound"); // only a deleted secret can be purged
        vault.DeleteSecret("db");
        vault.PurgeSecret("db");

        Assert.Empty(vault.ListDeletedSecrets());
        Throws(() => vault.RecoverSecret("db"), "SecretNotFound");
        vault.Set("db", "fresh");
        Assert.Single(vault.ListVersions("db"));
    }

    [Fact]
    public void PurgeProtectionRefusesPurgeButNotRecovery()
    {
        var vault = home.NewVault("locked", purgeProtection: true);
        vault.Set("db", "one");
        var deleted = vault.DeleteSecret("db");

        var ex = Throws(() => vault.PurgeSecret("db"), "PurgeProtected");
        Assert.Contains(deleted.ScheduledPurgeDate.ToString("u", System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Single(vault.ListDeletedSecrets());
        vault.RecoverSecret("db");
        Assert.Equal("one", vault.GetSecret("db").Plain());
    }

    [Fact]
    public void DeletedSecretsPastRetentionArePurgedAutomatically()
    {
        var vault = home.NewVault(retentionDays: 7, purgeProtection: true);
        vault.Set("db", "one");
        vault.DeleteSecret("db");

        home.Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.Single(vault.ListDeletedSecrets());
        home.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(vault.ListDeletedSecrets());
        Throws(() => vault.GetDeletedSecret("db"), "SecretNotFound");
        Throws(() => vault.RecoverSecret("db"), "SecretNotFound");

        // The name is free again, even under purge protection: retention has run its course.
        vault.Set("db", "new life");
        Assert.Single(vault.ListVersions("db"));
    }

    [Fact]
    public void RetentionIsTheVaultsAtTheTimeOfDeletion()
    {
        var home2 = home.Manager;
        var vault = home.NewVault("ret");
        home2.UpdateVault("ret", 30, null);
        vault.Set("db", "v");
        Assert.Equal(home.Clock.Now.UtcDateTime.AddDays(30), vault.DeleteSecret("db").ScheduledPurgeDate);
    }
}
