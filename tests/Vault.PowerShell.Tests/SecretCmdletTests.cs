using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell.Tests;

/// <summary>Secrets through the cmdlets, as a user types them, and the pipelines Az.KeyVault users expect.</summary>
public sealed class SecretCmdletTests : IDisposable
{
    private readonly VaultShell shell = new();

    public SecretCmdletTests() => shell.Run("New-Vault -Name app-vault | Out-Null").Succeeded();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    [Fact]
    public void SetReturnsNothingUnlessPassThruAndGetReturnsASecureString()
    {
        Assert.Empty(shell.Run("Set-VaultSecret -VaultName app-vault -Name Database -SecretValue (ConvertTo-SecureString 'pw-1' -AsPlainText -Force)").Succeeded().Output);

        var passThru = shell.Run("Set-VaultSecret -VaultName app-vault -Name Database -SecretValue (ConvertTo-SecureString 'pw-2' -AsPlainText -Force) -PassThru").Succeeded().Single();
        Assert.Equal("Vault.VaultSecretProperties", passThru.TypeNames[0]);
        Assert.Null(passThru.Properties["SecretValue"]);

        var secret = shell.Run("Get-VaultSecret -VaultName app-vault -Name Database").Succeeded().Single();
        Assert.Equal("Vault.VaultSecret", secret.TypeNames[0]);
        Assert.IsType<SecureString>(Prop<object>(secret, "SecretValue"));
        Assert.Equal(Prop<string>(passThru, "Version"), Prop<string>(secret, "Version"));
        Assert.Equal($"vault://app-vault/secrets/Database/{Prop<string>(secret, "Version")}", Prop<string>(secret, "Id"));

        Assert.Equal("pw-2", shell.Run("Get-VaultSecret -VaultName app-vault -Name Database -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal("pw-2", shell.Run("(Get-VaultSecret app-vault Database).SecretValue | ConvertFrom-SecureString -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void SecretValueAcceptsAStringOrACredential()
    {
        shell.Run("""
            Set-VaultSecret -VaultName app-vault -Name plain -SecretValue 'from-a-string'
            $cred = [pscredential]::new('svc-user', (ConvertTo-SecureString 'from-a-credential' -AsPlainText -Force))
            Set-VaultSecret -VaultName app-vault -Name cred -SecretValue $cred
            """).Succeeded();
        Assert.Equal("from-a-string", shell.Run("Get-VaultSecret app-vault plain -AsPlainText").Single().BaseObject);
        // A credential keeps its user name: it comes back as one, and -AsPlainText (text only) says so.
        var credential = Assert.IsType<PSCredential>(shell.Run("Get-VaultSecret app-vault cred -AsCredential").Succeeded().Single().BaseObject);
        Assert.Equal(("svc-user", "from-a-credential"), (credential.UserName, credential.GetNetworkCredential().Password));
        var mismatch = shell.Fails("Get-VaultSecret app-vault cred -AsPlainText", "SecretTypeMismatch", terminating: false);
        Assert.Contains("-AsCredential", mismatch.Exception.Message);

        var error = shell.Run("Set-VaultSecret -VaultName app-vault -Name num -SecretValue 42").Errors.Single();
        Assert.Equal("ParameterArgumentTransformationError,Vault.PowerShell.Commands.SetVaultSecretCommand", error.FullyQualifiedErrorId);
    }

    [Fact]
    public void AttributesAreSetCarriedForwardAndListed()
    {
        shell.Run("""
            Set-VaultSecret app-vault db 'one' -ContentType 'connection-string' -Tag @{ env = 'dev'; app = 'web' } -Expires ([datetime]::new(2030, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)) -NotBefore ([datetime]::new(2020, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
            Set-VaultSecret app-vault db 'two'
            """).Succeeded();
        var latest = shell.Run("Get-VaultSecret app-vault db").Succeeded().Single();
        Assert.Equal("connection-string", Prop<string>(latest, "ContentType"));
        Assert.Equal("dev", Prop<System.Collections.Hashtable>(latest, "Tags")["env"]);
        Assert.Null(Prop<DateTime?>(latest, "Expires"));

        var versions = shell.Run("Get-VaultSecret app-vault db -IncludeVersions").Succeeded().Output;
        Assert.Equal(2, versions.Count);
        // The versions' view is chosen by an extra type name; the objects are the listing's own.
        Assert.All(versions, v => Assert.Equal(["Vault.VaultSecretProperties#Version", "Vault.VaultSecretProperties"], v.TypeNames.Take(2)));
        Assert.All(versions, v => Assert.Equal("Vault.VaultSecretProperties", v.BaseObject.GetType().FullName));
        Assert.Equal(Prop<string>(latest, "Version"), Prop<string>(versions[0], "Version"));
        Assert.Equal(new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc), Prop<DateTime?>(versions[1], "Expires"));
    }

    [Fact]
    public void ADisabledSecretIsRefusedAndAnExpiredOneWarns()
    {
        shell.Run("""
            Set-VaultSecret app-vault off 'x' -Disable
            Set-VaultSecret app-vault old 'y' -Expires ([datetime]::UtcNow.AddDays(-1))
            Set-VaultSecret app-vault early 'z' -NotBefore ([datetime]::UtcNow.AddDays(1))
            """).Succeeded();

        var disabled = shell.Fails("Get-VaultSecret app-vault off", "SecretDisabled", terminating: false);
        Assert.Equal(ErrorCategory.InvalidOperation, disabled.CategoryInfo.Category);
        Assert.Equal("off", disabled.TargetObject);

        var expired = shell.Run("Get-VaultSecret app-vault old -AsPlainText").Succeeded();
        Assert.Equal("y", expired.Single().BaseObject);
        Assert.Contains("expired", Assert.Single(expired.Warnings).Message);
        Assert.Contains("not valid before", Assert.Single(shell.Run("Get-VaultSecret app-vault early").Warnings).Message);
    }

    [Fact]
    public void WildcardsAndNoNameListPropertiesWithoutValues()
    {
        shell.Run("'app-db','app-api','web-db' | ForEach-Object { Set-VaultSecret app-vault $_ 'v' }").Succeeded();

        var all = shell.Run("Get-VaultSecret -VaultName app-vault").Succeeded().Output;
        Assert.Equal(["app-api", "app-db", "web-db"], all.Select(o => Prop<string>(o, "Name")));
        Assert.All(all, o => Assert.Null(o.Properties["SecretValue"]));
        Assert.Equal(["app-api", "app-db"], shell.Run("Get-VaultSecret app-vault 'app-*'").Output.Select(o => Prop<string>(o, "Name")));
        Assert.Empty(shell.Run("Get-VaultSecret app-vault 'none-*'").Succeeded().Output);
    }

    [Fact]
    public void GetByIdReadsAVersion()
    {
        shell.Run("Set-VaultSecret app-vault db 'one'; Set-VaultSecret app-vault db 'two'").Succeeded();
        var first = Prop<string>(shell.Run("Get-VaultSecret app-vault db -IncludeVersions | Select-Object -Last 1").Single(), "Id");

        Assert.Equal("one", shell.Run($"Get-VaultSecret -Id '{first}' -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal("two", shell.Run("Get-VaultSecret -Id 'vault://app-vault/secrets/db' -AsPlainText").Succeeded().Single().BaseObject);
        shell.Fails("Get-VaultSecret -Id 'https://app-vault/secrets/db'", "InvalidSecretId", terminating: true);
    }

    [Fact]
    public void UpdateChangesAttributesAndTakesPipelineInput()
    {
        shell.Run("1..3 | ForEach-Object { Set-VaultSecret app-vault db \"v$_\" }").Succeeded();

        Assert.Empty(shell.Run("Get-VaultSecret app-vault db -IncludeVersions | Update-VaultSecret -Enable $false").Succeeded().Output);
        var versions = shell.Run("Get-VaultSecret app-vault db -IncludeVersions").Output;
        Assert.Equal(3, versions.Count);
        Assert.All(versions, v => Assert.False(Prop<bool>(v, "Enabled")));

        var updated = shell.Run("Update-VaultSecret app-vault db -Enable $true -ContentType 'text/plain' -Tag @{ owner = 'ops' } -PassThru").Succeeded().Single();
        Assert.Equal(Prop<string>(versions[0], "Version"), Prop<string>(updated, "Version"));
        Assert.True(Prop<bool>(updated, "Enabled"));
        Assert.Equal("v3", shell.Run("Get-VaultSecret app-vault db -AsPlainText").Single().BaseObject);
        Assert.Equal(3, shell.Run("Get-VaultSecret app-vault db -IncludeVersions").Output.Count);

        shell.Fails("Update-VaultSecret app-vault db -Version 00000000000000000000000000000000 -Enable $true", "SecretVersionNotFound", terminating: false);
        shell.Fails("Update-VaultSecret app-vault db -ContentType ('x' * 256)", "InvalidSecretAttribute", terminating: true);
    }

    [Fact]
    public void RemoveUndoAndPurgeThroughPipelines()
    {
        shell.Run("'app-db','app-api','web-db' | ForEach-Object { Set-VaultSecret app-vault $_ 'v' }").Succeeded();

        Assert.Empty(shell.Run("Get-VaultSecret -VaultName app-vault -Name 'app-*' | Remove-VaultSecret -Force").Succeeded().Output);
        Assert.Equal(["web-db"], shell.Run("Get-VaultSecret app-vault").Output.Select(o => Prop<string>(o, "Name")));

        var deleted = shell.Run("Get-VaultSecret -VaultName app-vault -InRemovedState").Succeeded().Output;
        Assert.Equal(["app-api", "app-db"], deleted.Select(o => Prop<string>(o, "Name")));
        Assert.All(deleted, d => Assert.Equal("Vault.DeletedVaultSecret", d.TypeNames[0]));

        var recovered = shell.Run("Get-VaultSecret -VaultName app-vault -InRemovedState | Undo-VaultSecretRemoval").Succeeded().Output;
        Assert.Equal(["app-api", "app-db"], recovered.Select(o => Prop<string>(o, "Name")));
        Assert.Equal(3, shell.Run("Get-VaultSecret app-vault").Output.Count);

        var passThru = shell.Run("Remove-VaultSecret app-vault web-db -Force -PassThru").Succeeded().Single();
        Assert.Equal("Vault.DeletedVaultSecret", passThru.TypeNames[0]);
        Assert.Equal("web-db", Prop<string>(shell.Run("Get-VaultSecret app-vault web-db -InRemovedState").Single(), "Name"));

        var conflict = shell.Fails("Set-VaultSecret app-vault web-db 'again'", "SecretIsDeleted", terminating: false);
        Assert.Contains("Undo-VaultSecretRemoval", conflict.Exception.Message);

        shell.Run("Remove-VaultSecret app-vault web-db -InRemovedState -Force").Succeeded();
        Assert.Empty(shell.Run("Get-VaultSecret app-vault -InRemovedState").Output);
        shell.Run("Set-VaultSecret app-vault web-db 'reborn'").Succeeded();
    }

    [Fact]
    public void PurgeIsRefusedUnderPurgeProtection()
    {
        shell.Run("New-Vault -Name safe-vault -EnablePurgeProtection -SoftDeleteRetentionInDays 7 | Out-Null; Set-VaultSecret safe-vault db 'v'; Remove-VaultSecret safe-vault db -Force").Succeeded();
        var error = shell.Fails("Remove-VaultSecret safe-vault db -InRemovedState -Force", "PurgeProtected", terminating: false);
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.Single(shell.Run("Get-VaultSecret safe-vault -InRemovedState").Output);
    }

    [Fact]
    public void BackupAndRestoreThroughFiles()
    {
        var blob = Path.Combine(shell.Home, "db.blob");
        shell.Run("Set-VaultSecret app-vault db 'one' -ContentType 'text/plain'; Set-VaultSecret app-vault db 'two'").Succeeded();

        var file = shell.Run($"Backup-VaultSecret -VaultName app-vault -Name db -OutputFile '{blob}'").Succeeded().Single();
        Assert.Equal(blob, Prop<string>(file, "FullName"));
        Assert.False(string.IsNullOrWhiteSpace(file.Properties["Mode"].Value?.ToString()));
        Assert.NotNull(file.Properties["PSPath"]);
        Assert.Empty(Directory.EnumerateFiles(shell.Home, "*.tmp"));
        Assert.Contains("What if", shell.Run($"Backup-VaultSecret app-vault db '{blob}' -WhatIf").Succeeded().HostText);
        shell.Fails($"Backup-VaultSecret app-vault db '{blob}'", "OutputFileExists", terminating: false);
        shell.Run($"Backup-VaultSecret app-vault db '{blob}' -Force").Succeeded();

        shell.Fails($"Restore-VaultSecret -VaultName app-vault -InputFile '{blob}'", "SecretAlreadyExists", terminating: false);
        shell.Run("Remove-VaultSecret app-vault db -Force; Remove-VaultSecret app-vault db -InRemovedState -Force").Succeeded();

        var restored = shell.Run($"Get-Item '{blob}' | Restore-VaultSecret -VaultName app-vault").Succeeded().Single();
        Assert.Equal("db", Prop<string>(restored, "Name"));
        Assert.Equal("two", shell.Run("Get-VaultSecret app-vault db -AsPlainText").Single().BaseObject);
        Assert.Equal(2, shell.Run("Get-VaultSecret app-vault db -IncludeVersions").Output.Count);

        var damaged = Path.Combine(shell.Home, "damaged.blob");
        var bytes = File.ReadAllBytes(blob);
        bytes[^5] ^= 0xff;
        File.WriteAllBytes(damaged, bytes);
        shell.Run("Remove-VaultSecret app-vault db -Force; Remove-VaultSecret app-vault db -InRemovedState -Force").Succeeded();
        var invalid = shell.Fails($"Restore-VaultSecret app-vault '{damaged}'", "BackupInvalid", terminating: false);
        Assert.Equal(ErrorCategory.InvalidData, invalid.CategoryInfo.Category);
        Assert.Equal(damaged, invalid.TargetObject);
        Assert.Empty(shell.Run("Get-VaultSecret app-vault").Output);
        shell.Fails($"Restore-VaultSecret app-vault '{Path.Combine(shell.Home, "missing.blob")}'", "BackupFileNotFound", terminating: false);
    }

    [Fact]
    public void TheDefaultVaultLetsVaultNameBeOmitted()
    {
        shell.Run("New-Vault -Name other-vault | Out-Null").Succeeded();
        shell.Run("Set-VaultSecret -Name db -SecretValue 'in-default'").Succeeded();
        Assert.Equal("in-default", shell.Run("Get-VaultSecret -VaultName app-vault -Name db -AsPlainText").Single().BaseObject);

        shell.Run("Set-VaultDefault -Name other-vault").Succeeded();
        shell.Run("Set-VaultSecret -Name db -SecretValue 'in-other'").Succeeded();
        Assert.Equal("in-other", shell.Run("Get-VaultSecret -Name db -AsPlainText").Single().BaseObject);
        Assert.Equal("in-default", shell.Run("Get-VaultSecret app-vault db -AsPlainText").Single().BaseObject);
    }

    [Fact]
    public void GetVaultPipesIntoGetVaultSecret()
    {
        shell.Run("New-Vault -Name other-vault | Out-Null; Set-VaultSecret app-vault a 'x'; Set-VaultSecret other-vault b 'y'").Succeeded();
        var all = shell.Run("Get-Vault | Get-VaultSecret").Succeeded().Output;
        Assert.Equal(["app-vault/a", "other-vault/b"], all.Select(o => Prop<string>(o, "VaultName") + "/" + Prop<string>(o, "Name")));
    }

    [Fact]
    public void ListedSecretsPipeIntoGetForTheirValues()
    {
        shell.Run("Set-VaultSecret app-vault a 'x'; Set-VaultSecret app-vault b 'y'").Succeeded();
        Assert.Equal(["x", "y"], shell.Run("Get-VaultSecret app-vault | Get-VaultSecret -AsPlainText").Succeeded().Output.Select(o => o.BaseObject));
    }

    [Fact]
    public void ParameterCombinationsThatMakeNoSenseAreRefused()
    {
        shell.Run("Set-VaultSecret app-vault db 'x'").Succeeded();
        shell.Fails("Get-VaultSecret app-vault 'd*' -Version 00000000000000000000000000000000", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault db -IncludeVersions -AsPlainText", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault 'd*' -IncludeVersions", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault db -InRemovedState -Version 00000000000000000000000000000000", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault -AsPlainText", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault 'd*' -AsPlainText", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret app-vault -InRemovedState -AsPlainText", "InvalidParameterCombination", terminating: true);
    }
}
