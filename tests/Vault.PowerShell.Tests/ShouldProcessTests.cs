namespace Vault.PowerShell.Tests;

/// <summary>-WhatIf changes nothing and says what it would do; -Confirm asks; -Force skips the question.</summary>
public sealed class ShouldProcessTests : IDisposable
{
    private readonly VaultShell shell = new();

    public ShouldProcessTests() => shell.Run("New-Vault sp-vault | Out-Null; Set-VaultSecret sp-vault db 'v1'; Set-VaultSecret sp-vault gone 'x'; Remove-VaultSecret sp-vault gone -Force").Succeeded();

    public void Dispose() => shell.Dispose();

    /// <summary>A fingerprint of everything the user could observe about their vaults.</summary>
    private string State() => string.Join("\n", shell.Run("""
        Get-Vault | ForEach-Object { "$($_.VaultName)|$($_.IsDefault)|$($_.SoftDeleteRetentionInDays)|$($_.EnablePurgeProtection)|$($_.KeyProtector)|$($_.KeyringTerms)" }
        Get-ChildItem -Path $env:VAULT_HOME -Recurse -File -Filter *.key | ForEach-Object { [Convert]::ToBase64String([IO.File]::ReadAllBytes($_.FullName)) }
        Get-Vault | ForEach-Object { Get-VaultRoleDefinition -VaultName $_.VaultName } | ForEach-Object { "role:$($_.Name)" }
        Get-Vault | ForEach-Object { Get-VaultRoleAssignment -VaultName $_.VaultName } | ForEach-Object { "assignment:$($_.RoleDefinitionName)|$($_.PrincipalId)|$($_.Scope)" }
        Get-Vault | ForEach-Object { Get-VaultSecret -VaultName $_.VaultName -Name * } | ForEach-Object { "$($_.Name)|$($_.Version)|$($_.Enabled)|$($_.ContentType)" }
        Get-Vault | ForEach-Object { Get-VaultSecret -VaultName $_.VaultName -InRemovedState } | ForEach-Object { "deleted:$($_.Name)" }
        Get-ChildItem -Path $env:VAULT_HOME -Recurse -File -Name | Sort-Object
        """).Succeeded().Output.Select(o => o.ToString()));

    public static TheoryData<string> Changes => new()
    {
        "New-Vault -Name new-vault",
        "Update-Vault -Name sp-vault -SoftDeleteRetentionInDays 10",
        "Register-Vault -Path (Join-Path $env:VAULT_HOME 'copy.vault')",
        "Unregister-Vault -Name sp-vault",
        "Remove-Vault -Name sp-vault",
        "Remove-Vault -Name sp-vault -Force",
        "Set-VaultDefault -Name sp-vault",
        "Set-VaultSecret -VaultName sp-vault -Name db -SecretValue 'v2'",
        "Update-VaultSecret -VaultName sp-vault -Name db -Enable $false",
        "Remove-VaultSecret -VaultName sp-vault -Name db",
        "Remove-VaultSecret -VaultName sp-vault -Name db -Force",
        "Remove-VaultSecret -VaultName sp-vault -Name gone -InRemovedState -Force",
        "Undo-VaultSecretRemoval -VaultName sp-vault -Name gone",
        "Backup-VaultSecret -VaultName sp-vault -Name db -OutputFile (Join-Path $env:VAULT_HOME 'db.blob')",
        "Restore-VaultSecret -VaultName sp-vault -InputFile (Join-Path $env:VAULT_HOME 'ready.blob')",
        "Invoke-VaultKeyRotation -VaultName sp-vault",
        "Invoke-VaultKeyRotation -VaultName sp-vault -Target RootKey -ReencryptSecrets -Force",
        "Set-VaultKeyProtector -VaultName sp-vault -KeyProtector Pkcs11 -Pkcs11Library /usr/lib/softhsm/libsofthsm2.so -TokenLabel any",
        "Export-VaultKeyring -VaultName sp-vault -OutputFile (Join-Path $env:VAULT_HOME 'keyring.bin') -Password (ConvertTo-SecureString 'long password' -AsPlainText -Force)",
        "Import-VaultKeyring -VaultName sp-vault -InputFile (Join-Path $env:VAULT_HOME 'ready.keyring') -Password (ConvertTo-SecureString 'long password' -AsPlainText -Force)",
        "New-VaultRoleDefinition -VaultName sp-vault -Name 'New Role' -DataActions 'Vault/vault/read/action'",
        "Remove-VaultRoleDefinition -VaultName sp-vault -Name 'Spare Role'",
        "New-VaultRoleAssignment -VaultName sp-vault -RoleDefinitionName 'Vault Reader' -PrincipalId uid:4321",
        "Remove-VaultRoleAssignment -VaultName sp-vault -RoleDefinitionName 'Vault Reader' -PrincipalName uid:1234",
        "Export-VaultAuditLog -VaultName sp-vault -Path (Join-Path $env:VAULT_HOME 'audit.jsonl')",
    };

    private void Prepare()
    {
        // Files some commands need: a copy of a vault to register, a backup of a purged secret to restore.
        shell.Run("""
            New-Vault src-vault -Path (Join-Path $env:VAULT_HOME 'copy.vault') | Out-Null
            Unregister-Vault src-vault
            Set-VaultSecret sp-vault ready 'r'
            Backup-VaultSecret sp-vault ready (Join-Path $env:VAULT_HOME 'ready.blob') | Out-Null
            Remove-VaultSecret sp-vault ready -Force; Remove-VaultSecret sp-vault ready -InRemovedState -Force
            Export-VaultKeyring sp-vault (Join-Path $env:VAULT_HOME 'ready.keyring') -Password (ConvertTo-SecureString 'long password' -AsPlainText -Force) | Out-Null
            New-VaultRoleDefinition sp-vault -Name 'Spare Role' -DataActions 'Vault/vault/read/action' | Out-Null
            New-VaultRoleAssignment sp-vault 'Vault Reader' -PrincipalId uid:1234 | Out-Null
            """).Succeeded();
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void WhatIfChangesNothingAndSaysWhatItWouldDo(string command)
    {
        Prepare();
        var before = State();
        var result = shell.Run(command + " -WhatIf").Succeeded();
        Assert.Empty(result.Output);
        Assert.Contains("What if: Performing the operation", result.HostText);
        Assert.Equal(before, State());
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void ConfirmAnsweredNoChangesNothing(string command)
    {
        Prepare();
        var before = State();
        shell.Host.ConfirmAnswer = "No";
        var result = shell.Run(command + " -Confirm").Succeeded();
        Assert.NotEmpty(shell.Host.Prompts);
        Assert.Empty(result.Output);
        Assert.Equal(before, State());
    }

    [Fact]
    public void RemovingASecretAsksUnlessForced()
    {
        shell.Host.ConfirmAnswer = "No";
        shell.Run("Remove-VaultSecret sp-vault db").Succeeded();
        Assert.Contains("vault://sp-vault/secrets/db", Assert.Single(shell.Host.Prompts));
        Assert.Single(shell.Run("Get-VaultSecret sp-vault").Output);

        shell.Host.ConfirmAnswer = "Yes";
        shell.Run("Remove-VaultSecret sp-vault db").Succeeded();
        Assert.Empty(shell.Run("Get-VaultSecret sp-vault").Output);
        Assert.Equal(2, shell.Host.Prompts.Count);

        shell.Run("Undo-VaultSecretRemoval sp-vault db | Out-Null; Remove-VaultSecret sp-vault db -Force").Succeeded();
        Assert.Equal(2, shell.Host.Prompts.Count);
        Assert.Empty(shell.Run("Get-VaultSecret sp-vault").Output);
    }

    [Fact]
    public void ForceWithAnExplicitConfirmStillAsks()
    {
        shell.Host.ConfirmAnswer = "No";
        shell.Run("Remove-Vault sp-vault -Force -Confirm").Succeeded();
        Assert.Single(shell.Host.Prompts);
        Assert.Single(shell.Run("Get-Vault").Output);
    }

    [Fact]
    public void WhatIfPreferenceIsHonouredEvenWithForce()
    {
        shell.Run("$WhatIfPreference = $true; Remove-Vault sp-vault -Force; $WhatIfPreference = $false").Succeeded();
        Assert.Single(shell.Run("Get-Vault").Output);
    }
}
