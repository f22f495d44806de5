using System.Management.Automation;

namespace Vault.PowerShell.Tests;

public sealed class VaultCmdletTests : IDisposable
{
    private readonly VaultShell shell = new();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    [Fact]
    public void NewVaultReturnsTheVaultAndGetVaultListsIt()
    {
        var created = shell.Run("New-Vault -Name team-vault -SoftDeleteRetentionInDays 30 -EnablePurgeProtection").Succeeded().Single();
        Assert.Equal("Vault.VaultInfo", created.TypeNames[0]);
        Assert.Equal("team-vault", Prop<string>(created, "VaultName"));
        Assert.Equal(30, Prop<int>(created, "SoftDeleteRetentionInDays"));
        Assert.True(Prop<bool>(created, "EnablePurgeProtection"));
        Assert.Equal("Software", Prop<string>(created, "KeyProtector"));
        Assert.True(Prop<bool>(created, "IsDefault"));
        Assert.Equal(Path.Combine(shell.Home, "vaults", "team-vault.vault"), Prop<string>(created, "Path"));

        shell.Run("New-Vault other-vault").Succeeded();
        Assert.Equal(["team-vault", "other-vault"], shell.Run("Get-Vault").Succeeded().Output.Select(o => Prop<string>(o, "VaultName")));
        Assert.Equal(["other-vault"], shell.Run("Get-Vault -Name 'oth*'").Output.Select(o => Prop<string>(o, "VaultName")));
        Assert.Equal(["team-vault"], shell.Run("'team-vault' | Get-Vault").Output.Select(o => Prop<string>(o, "VaultName")));
    }

    [Fact]
    public void NewVaultTakesARelativePath()
    {
        var folder = Path.Combine(shell.Home, "elsewhere");
        Directory.CreateDirectory(folder);
        var created = shell.Run($"Set-Location '{folder}'; New-Vault -Name rel-vault -Path ./rel.vault").Succeeded().Single();
        Assert.Equal(Path.Combine(folder, "rel.vault"), Prop<string>(created, "Path"));
        Assert.True(File.Exists(Path.Combine(folder, "rel.vault.key")));
    }

    [Fact]
    public void NewVaultRefusesBadNamesRetentionAndDuplicates()
    {
        shell.Fails("New-Vault -Name 'x'", "InvalidVaultName", terminating: true);
        shell.Fails("New-Vault -Name 'x' -WhatIf", "InvalidVaultName", terminating: true);
        shell.Fails("New-Vault -Name ok-vault -SoftDeleteRetentionInDays 5", "InvalidVaultAttribute", terminating: true);
        shell.Run("New-Vault -Name ok-vault").Succeeded();
        var duplicate = shell.Fails("New-Vault -Name OK-VAULT", "VaultAlreadyExists", terminating: false);
        Assert.Equal(ErrorCategory.ResourceExists, duplicate.CategoryInfo.Category);
        Assert.Equal("OK-VAULT", duplicate.TargetObject);
        shell.Fails($"New-Vault -Name another-vault -Path '{Path.Combine(shell.Home, "vaults", "ok-vault.vault")}'", "VaultFileExists", terminating: false);
        Assert.Single(shell.Run("Get-Vault").Output);
    }

    [Fact]
    public void GetVaultOfAnUnknownNameIsVaultNotFound()
    {
        var error = shell.Fails("Get-Vault -Name nope-vault", "VaultNotFound", terminating: false);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("New-Vault", error.Exception.Message);
        shell.Fails("Get-VaultSecret -VaultName nope-vault", "VaultNotFound", terminating: false);
        shell.Fails("Get-VaultSecret -Name x", "NoDefaultVault", terminating: true);
    }

    [Fact]
    public void UpdateVaultChangesRetentionAndPurgeProtectionOnlyGoesOn()
    {
        shell.Run("New-Vault upd-vault").Succeeded();
        Assert.Empty(shell.Run("'upd-vault' | Update-Vault -SoftDeleteRetentionInDays 14").Succeeded().Output);
        var updated = shell.Run("Get-Vault upd-vault | Update-Vault -EnablePurgeProtection -PassThru").Succeeded().Single();
        Assert.Equal(14, Prop<int>(updated, "SoftDeleteRetentionInDays"));
        Assert.True(Prop<bool>(updated, "EnablePurgeProtection"));

        var off = shell.Fails("Update-Vault upd-vault -EnablePurgeProtection:$false", "InvalidVaultAttribute", terminating: false);
        Assert.Contains("cannot be turned off", off.Exception.Message);
        shell.Fails("Update-Vault upd-vault -SoftDeleteRetentionInDays 100", "InvalidVaultAttribute", terminating: true);
        Assert.True(Prop<bool>(shell.Run("Get-Vault upd-vault").Single(), "EnablePurgeProtection"));
    }

    [Fact]
    public void RegisterAndUnregisterLeaveTheFileAlone()
    {
        shell.Run("New-Vault reg-vault; Set-VaultSecret reg-vault db 'shared-value'").Succeeded();
        var path = Prop<string>(shell.Run("Get-Vault reg-vault").Single(), "Path");

        Assert.Empty(shell.Run("Unregister-Vault reg-vault").Succeeded().Output);
        Assert.Empty(shell.Run("Get-Vault").Output);
        Assert.True(File.Exists(path));

        var registered = shell.Run($"Register-Vault -Path '{path}' -Name mine -PassThru").Succeeded().Single();
        Assert.Equal("mine", Prop<string>(registered, "VaultName"));
        Assert.Equal("shared-value", shell.Run("Get-VaultSecret mine db -AsPlainText").Single().BaseObject);
        Assert.Equal("vault://mine/secrets/db", Prop<string>(shell.Run("Get-VaultSecret mine db").Single(), "Id")[..23]);

        shell.Fails($"Register-Vault -Path '{path}'", "VaultAlreadyExists", terminating: false);
        shell.Fails($"Register-Vault -Path '{Path.Combine(shell.Home, "none.vault")}'", "VaultFileNotFound", terminating: true);
        File.WriteAllText(Path.Combine(shell.Home, "text.vault"), "not a database, just text, long enough to be read as one");
        shell.Fails($"Register-Vault -Path '{Path.Combine(shell.Home, "text.vault")}'", "NotAVaultFile", terminating: false);
        shell.Fails("Unregister-Vault nope-vault", "VaultNotFound", terminating: false);
    }

    [Fact]
    public void RemoveVaultDeletesItsFilesAndHonoursPurgeProtection()
    {
        shell.Run("New-Vault gone-vault; Set-VaultSecret gone-vault db 'x'").Succeeded();
        var path = Prop<string>(shell.Run("Get-Vault gone-vault").Single(), "Path");
        shell.Run("Remove-Vault gone-vault -Force").Succeeded();
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "gone-vault*"));
        Assert.Empty(shell.Run("Get-Vault").Output);

        shell.Run("New-Vault kept-vault -EnablePurgeProtection; Set-VaultSecret kept-vault db 'x'").Succeeded();
        var error = shell.Fails("Get-Vault kept-vault | Remove-Vault -Force", "PurgeProtected", terminating: false);
        Assert.Equal("kept-vault", error.TargetObject);
        Assert.Single(shell.Run("Get-Vault").Output);
    }

    [Fact]
    public void SetVaultDefaultMovesTheDefault()
    {
        shell.Run("New-Vault one-vault; New-Vault two-vault").Succeeded();
        Assert.True(Prop<bool>(shell.Run("Get-Vault one-vault").Single(), "IsDefault"));
        var passThru = shell.Run("Set-VaultDefault two-vault -PassThru").Succeeded().Single();
        Assert.True(Prop<bool>(passThru, "IsDefault"));
        Assert.False(Prop<bool>(shell.Run("Get-Vault one-vault").Single(), "IsDefault"));
        shell.Fails("Set-VaultDefault nope-vault", "VaultNotFound", terminating: false);
    }

    [Fact]
    public void AVaultWhoseFileIsGoneIsReportedWithoutHidingTheOthers()
    {
        shell.Run("New-Vault lost-vault; New-Vault here-vault").Succeeded();
        var path = Prop<string>(shell.Run("Get-Vault lost-vault").Single(), "Path");
        var external = Path.Combine(shell.Home, "moved.vault");
        shell.Run("Unregister-Vault lost-vault").Succeeded();
        File.Move(path, external);
        File.Move(path + ".key", external + ".key");
        shell.Run($"Register-Vault '{external}' -Name lost-vault").Succeeded();
        File.Move(external, external + ".gone");

        // Listed with its status, not as an error.
        var result = shell.Run("Get-Vault").Succeeded();
        Assert.Equal(["here-vault", "lost-vault"], result.Output.Select(o => Prop<string>(o, "VaultName")));
        Assert.Equal(["Ok", "Missing"], result.Output.Select(o => Prop<object>(o, "Status").ToString()));
        Assert.Equal("VaultFileNotFound", Prop<string>(result.Output[1], "StatusErrorId"));
        Assert.Contains(external, Prop<string>(result.Output[1], "StatusReason"));

        // Removing it forgets it, says so, and keeps the key file that a restored vault file would need.
        var removed = shell.Run("Remove-Vault lost-vault -Force").Succeeded();
        Assert.Contains("only its registration was removed", Assert.Single(removed.Warnings).Message);
        Assert.True(File.Exists(external + ".key"));
        Assert.Equal(["here-vault"], shell.Run("Get-Vault").Output.Select(o => Prop<string>(o, "VaultName")));
    }
}
