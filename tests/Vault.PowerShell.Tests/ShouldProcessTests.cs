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

    /// <summary>Changes to something that is not there (or may not be changed), with the error the change itself gives.</summary>
    public static TheoryData<string, string> ChangesToWhatIsNotThere => new()
    {
        { "Set-VaultSecret -VaultName no-vault -Name db -SecretValue 'v2'", "VaultNotFound" },
        { "Update-VaultSecret -VaultName sp-vault -Name missing -Enable $false", "SecretNotFound" },
        { "Update-VaultSecret -VaultName sp-vault -Name gone -Enable $false", "SecretNotFound" },
        { "Update-VaultSecret -VaultName sp-vault -Name db -Version 0123456789ABCDEF0123456789ABCDEF -Enable $false", "SecretVersionNotFound" },
        { "Remove-VaultSecret -VaultName sp-vault -Name missing", "SecretNotFound" },
        { "Remove-VaultSecret -VaultName sp-vault -Name missing -Force", "SecretNotFound" },
        { "Remove-VaultSecret -VaultName no-vault -Name db -Force", "VaultNotFound" },
        { "Remove-VaultSecret -VaultName sp-vault -Name db -InRemovedState -Force", "SecretNotFound" },
        { "Undo-VaultSecretRemoval -VaultName sp-vault -Name db", "SecretNotFound" },
        { "Undo-VaultSecretRemoval -VaultName sp-vault -Name missing", "SecretNotFound" },
        { "Backup-VaultSecret -VaultName sp-vault -Name missing -OutputFile (Join-Path $env:VAULT_HOME 'missing.blob')", "SecretNotFound" },
        { "Backup-VaultSecret -VaultName sp-vault -Name gone -OutputFolder $env:VAULT_HOME", "SecretNotFound" },
        { "Restore-VaultSecret -VaultName no-vault -InputFile (Join-Path $env:VAULT_HOME 'ready.blob')", "VaultNotFound" },
        { "Restore-VaultSecret -VaultName sp-vault -InputFile (Join-Path $env:VAULT_HOME 'missing.blob')", "BackupFileNotFound" },
        { "Remove-Vault -Name no-vault", "VaultNotFound" },
        { "Remove-Vault -Name no-vault -Force", "VaultNotFound" },
        { "Update-Vault -Name no-vault -SoftDeleteRetentionInDays 10", "VaultNotFound" },
        { "Update-Vault -Name sp-vault -SoftDeleteRetentionInDays 5", "InvalidVaultAttribute" },
        { "Set-VaultDefault -Name no-vault", "VaultNotFound" },
        { "Unregister-Vault -Name no-vault", "VaultNotFound" },
        { "Register-Vault -Path (Join-Path $env:VAULT_HOME 'missing.vault')", "VaultFileNotFound" },
        { "Invoke-VaultKeyRotation -VaultName no-vault -ReencryptSecrets -Force", "VaultNotFound" },
        { "Set-VaultKeyProtector -VaultName no-vault -KeyProtector Pkcs11 -Pkcs11Library /usr/lib/softhsm/libsofthsm2.so -TokenLabel any -Force", "VaultNotFound" },
        { "Export-VaultKeyring -VaultName no-vault -OutputFile (Join-Path $env:VAULT_HOME 'keyring.bin') -Password (ConvertTo-SecureString 'long password' -AsPlainText -Force)", "VaultNotFound" },
        { "Import-VaultKeyring -VaultName sp-vault -InputFile (Join-Path $env:VAULT_HOME 'missing.keyring') -Password (ConvertTo-SecureString 'long password' -AsPlainText -Force) -Force", "KeyringFileNotFound" },
        { "New-VaultRoleDefinition -VaultName no-vault -Name 'New Role' -DataActions 'Vault/vault/read/action'", "VaultNotFound" },
        { "Remove-VaultRoleDefinition -VaultName sp-vault -Name 'No Such Role' -Force", "RoleDefinitionNotFound" },
        { "Remove-VaultRoleDefinition -VaultName sp-vault -Name 'Vault Reader' -Force", "BuiltInRoleReadOnly" },
        { "New-VaultRoleAssignment -VaultName sp-vault -RoleDefinitionName 'No Such Role' -PrincipalId uid:4321", "RoleDefinitionNotFound" },
        { "Remove-VaultRoleAssignment -VaultName sp-vault -RoleDefinitionName 'Vault Reader' -PrincipalName uid:999 -Force", "RoleAssignmentNotFound" },
    };

    /// <summary>How a command line ended: the error's full id, and whether it stopped the command.</summary>
    private (string Id, bool Terminating, string HostText) Failure(string command)
    {
        var result = shell.Run($"try {{ {command} }} catch {{ 'TERMINATING'; $_ }}");
        if (result.Output.Count >= 2 && "TERMINATING".Equals(result.Output[^2]?.BaseObject))
        {
            return (((System.Management.Automation.ErrorRecord)result.Output[^1].BaseObject).FullyQualifiedErrorId, true, result.HostText);
        }

        Assert.Empty(result.Output);
        return (Assert.Single(result.Errors).FullyQualifiedErrorId, false, result.HostText);
    }

    [Theory]
    [MemberData(nameof(ChangesToWhatIsNotThere))]
    public void WhatIfOnWhatIsNotThereGivesTheErrorTheChangeGivesAndNoWhatIfLine(string command, string errorId)
    {
        Prepare();
        var before = State();
        var real = Failure(command);
        Assert.StartsWith(errorId + ",Vault.PowerShell.Commands.", real.Id);
        Assert.Equal(before, State());

        var whatIf = Failure(command + " -WhatIf");
        Assert.Equal(real.Id, whatIf.Id);
        Assert.Equal(real.Terminating, whatIf.Terminating);
        Assert.DoesNotContain("What if:", whatIf.HostText);
        Assert.Equal(before, State());

        // Nor is anyone asked to confirm what cannot be done.
        Assert.Equal(real.Id, Failure(command + " -Confirm").Id);
        Assert.Empty(shell.Host.Prompts);
    }

    [Fact]
    public void WhatIfOnMissingThingsShowsNoWhatIfLineInARealPwsh()
    {
        var result = PwshProcess.Command(shell.Home, """
            $ErrorActionPreference = 'Continue'
            Remove-VaultSecret sp-vault missing -WhatIf -ErrorVariable e1 2>$null; "E1=$($e1[0].FullyQualifiedErrorId)"
            Remove-Vault no-vault -WhatIf -ErrorVariable e2 2>$null; "E2=$($e2[0].FullyQualifiedErrorId)"
            Update-VaultSecret sp-vault db -Version 0123456789abcdef0123456789abcdef -Enable $false -WhatIf -ErrorVariable e3 2>$null; "E3=$($e3[0].FullyQualifiedErrorId)"
            Remove-VaultSecret sp-vault db -WhatIf
            """);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("E1=SecretNotFound,Vault.PowerShell.Commands.RemoveVaultSecretCommand", result.Stdout);
        Assert.Contains("E2=VaultNotFound,Vault.PowerShell.Commands.RemoveVaultCommand", result.Stdout);
        Assert.Contains("E3=SecretVersionNotFound,Vault.PowerShell.Commands.UpdateVaultSecretCommand", result.Stdout);
        // Only the one that would work says what it would do.
        var whatIfs = result.Stdout.Split('\n').Where(l => l.StartsWith("What if:", StringComparison.Ordinal)).ToList();
        Assert.Contains("\"vault://sp-vault/secrets/db\"", Assert.Single(whatIfs));
    }

    [Fact]
    public void ASessionThatCannotAskIsToldWhichSwitchGoesAhead()
    {
        // The README's runbook line, under pwsh -NonInteractive: the prompt cannot be shown, and -Force is named.
        var refused = PwshProcess.Command(shell.Home, """
            try { Invoke-VaultKeyRotation -VaultName sp-vault -ReencryptSecrets } catch { "ID=$($_.FullyQualifiedErrorId)"; "MESSAGE=$($_.Exception.Message)" }
            "TERMS=$((Get-Vault sp-vault).KeyringTerms)"
            try { Remove-VaultSecret sp-vault db } catch { "ID=$($_.FullyQualifiedErrorId)" }
            """);
        Assert.True(refused.ExitCode == 0, refused.Stderr);
        Assert.Contains("ID=ConfirmationNotPossible,Vault.PowerShell.Commands.InvokeVaultKeyRotationCommand", refused.Stdout);
        Assert.Contains("ID=ConfirmationNotPossible,Vault.PowerShell.Commands.RemoveVaultSecretCommand", refused.Stdout);
        Assert.Contains("Add -Force", refused.Stdout);
        Assert.Contains("TERMS=1", refused.Stdout);

        var forced = PwshProcess.Command(shell.Home, "Invoke-VaultKeyRotation -VaultName sp-vault -ReencryptSecrets -Force; \"TERMS=$((Get-Vault sp-vault).KeyringTerms)\"; Get-VaultSecret sp-vault db -AsPlainText");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("TERMS=2", forced.Stdout);
        Assert.Contains("v1", forced.Stdout);
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
