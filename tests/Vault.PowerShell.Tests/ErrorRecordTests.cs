using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>Every error id the issue names, from the command a user would type, with its category and target.</summary>
public sealed class ErrorRecordTests : IDisposable
{
    private readonly VaultShell shell = new();

    public ErrorRecordTests() => shell.Run("""
        New-Vault err-vault | Out-Null
        New-Vault locked-vault -EnablePurgeProtection | Out-Null
        Set-VaultSecret err-vault db 'v'
        Set-VaultSecret err-vault off 'v' -Disable
        Set-VaultSecret err-vault gone 'v'; Remove-VaultSecret err-vault gone -Force
        Set-VaultSecret locked-vault kept 'v'; Remove-VaultSecret locked-vault kept -Force
        """).Succeeded();

    public void Dispose() => shell.Dispose();

    [Theory]
    [InlineData("Get-VaultSecret -VaultName no-such-vault -Name db", "VaultNotFound", ErrorCategory.ObjectNotFound, "no-such-vault", false)]
    [InlineData("New-Vault -Name err-vault", "VaultAlreadyExists", ErrorCategory.ResourceExists, "err-vault", false)]
    [InlineData("Get-VaultSecret err-vault nope", "SecretNotFound", ErrorCategory.ObjectNotFound, "nope", false)]
    [InlineData("Remove-VaultSecret err-vault nope -Force", "SecretNotFound", ErrorCategory.ObjectNotFound, "nope", false)]
    [InlineData("Undo-VaultSecretRemoval err-vault db", "SecretNotFound", ErrorCategory.ObjectNotFound, "db", false)]
    [InlineData("Get-VaultSecret err-vault db -Version 0123456789abcdef0123456789abcdef", "SecretVersionNotFound", ErrorCategory.ObjectNotFound, "db", false)]
    [InlineData("Get-VaultSecret err-vault off", "SecretDisabled", ErrorCategory.InvalidOperation, "off", false)]
    [InlineData("Set-VaultSecret err-vault gone 'again'", "SecretIsDeleted", ErrorCategory.InvalidOperation, "gone", false)]
    [InlineData("Set-VaultSecret err-vault 'bad_name' 'v'", "InvalidSecretName", ErrorCategory.InvalidArgument, "bad_name", true)]
    [InlineData("Get-VaultSecret err-vault 'bad.name'", "InvalidSecretName", ErrorCategory.InvalidArgument, "bad.name", true)]
    [InlineData("Set-VaultSecret err-vault big ('x' * 25601)", "SecretValueTooLarge", ErrorCategory.InvalidArgument, "big", true)]
    [InlineData("Set-VaultSecret err-vault big ('x' * 1MB)", "SecretValueTooLarge", ErrorCategory.InvalidArgument, "big", true)]
    [InlineData("Set-VaultSecret err-vault big ('x' * 100MB)", "SecretValueTooLarge", ErrorCategory.InvalidArgument, "big", true)]
    [InlineData("Set-VaultSecret err-vault \"abc`n\" 'v'", "InvalidSecretName", ErrorCategory.InvalidArgument, "abc\n", true)]
    [InlineData("New-Vault -Name \"abc`n\"", "InvalidVaultName", ErrorCategory.InvalidArgument, "abc\n", true)]
    [InlineData("Set-VaultSecret err-vault t 'v' -Tag @{ a=1;b=2;c=3;d=4;e=5;f=6;g=7;h=8;i=9;j=10;k=11;l=12;m=13;n=14;o=15;p=16 }", "InvalidSecretAttribute", ErrorCategory.InvalidArgument, "t", true)]
    [InlineData("Set-VaultSecret err-vault t 'v' -ContentType ('c' * 256)", "InvalidSecretAttribute", ErrorCategory.InvalidArgument, "t", true)]
    [InlineData("Set-VaultSecret err-vault t 'v' -NotBefore '2030-01-02' -Expires '2030-01-01'", "InvalidSecretAttribute", ErrorCategory.InvalidArgument, "t", true)]
    [InlineData("Remove-VaultSecret locked-vault kept -InRemovedState -Force", "PurgeProtected", ErrorCategory.InvalidOperation, "kept", false)]
    [InlineData("Remove-Vault locked-vault -Force", "PurgeProtected", ErrorCategory.InvalidOperation, "locked-vault", false)]
    [InlineData("Get-VaultSecret -Id 'vault:/err-vault/db'", "InvalidSecretId", ErrorCategory.InvalidArgument, "vault:/err-vault/db", true)]
    [InlineData("Get-VaultSecret err-vault db -Version 'NOT-HEX'", "InvalidSecretVersion", ErrorCategory.InvalidArgument, "NOT-HEX", true)]
    [InlineData("New-Vault -Name 'no spaces'", "InvalidVaultName", ErrorCategory.InvalidArgument, "no spaces", true)]
    [InlineData("Update-Vault locked-vault -EnablePurgeProtection:$false", "InvalidVaultAttribute", ErrorCategory.InvalidOperation, "locked-vault", false)]
    public void TheErrorHasAStableIdCategoryAndTarget(string command, string errorId, ErrorCategory category, string target, bool terminating)
    {
        var before = shell.Run("Get-Vault | Get-VaultSecret | ForEach-Object Version").Output.Count;
        var error = shell.Fails(command, errorId, terminating);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Equal(target, error.TargetObject);
        Assert.False(string.IsNullOrWhiteSpace(error.Exception.Message));
        Assert.Equal(before, shell.Run("Get-Vault | Get-VaultSecret | ForEach-Object Version").Output.Count);
    }

    [Fact]
    public void ErrorsCanBeMatchedAsPesterWould()
    {
        // Should -Throw -ErrorId 'SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'
        var id = shell.Run("try { Get-VaultSecret err-vault nope -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }").Single().ToString();
        Assert.Equal("SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand", id);
    }

    [Fact]
    public void ANonTerminatingErrorLetsThePipelineGoOn()
    {
        var result = shell.Run("'db','nope','off','db' | ForEach-Object { Get-VaultSecret err-vault $_ -AsPlainText }");
        Assert.Equal(["v", "v"], result.Output.Select(o => o.ToString()));
        Assert.Equal(["SecretNotFound", "SecretDisabled"], result.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
    }

    [Fact]
    public void ATamperedCiphertextIsSecretIntegrityFailed()
    {
        var path = shell.Run("(Get-Vault err-vault).Path").Single().ToString();
        shell.Run("Set-VaultSecret err-vault other 'other-value'").Succeeded();
        // Someone with the file moves one secret's ciphertext onto another.
        VaultFiles.Tamper(path, "UPDATE secret_version SET value = (SELECT value FROM secret_version WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'other')) WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'db');");

        var error = shell.Fails("Get-VaultSecret err-vault db", "SecretIntegrityFailed", terminating: false);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("db", error.TargetObject);
        Assert.DoesNotContain("other-value", error.Exception.Message);
        Assert.Equal("other-value", shell.Run("Get-VaultSecret err-vault other -AsPlainText").Single().ToString());
    }

    [Fact]
    public void AMissingKeyFileIsKeyProtectorUnavailableAndStopsTheCommand()
    {
        var path = shell.Run("(Get-Vault err-vault).Path").Single().ToString();
        shell.Run("Unregister-Vault err-vault").Succeeded();
        var copy = Path.Combine(shell.Home, "copy.vault");
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        shell.Run($"Register-Vault '{copy}' -Name copy-vault").Succeeded();

        var error = shell.Fails("Get-VaultSecret copy-vault db", "KeyProtectorUnavailable", terminating: true);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Contains(copy + ".key", error.Exception.Message);
    }
}
