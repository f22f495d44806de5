#Requires -Version 7.6
# Pester 5 tests: every error id, from the command a user would type, with its category and target.
# Mirrors tests/Vault.PowerShell.Tests/ErrorRecordTests.cs scenario for scenario. (Error ids that
# belong to one cmdlet's scenario, such as OutputFileExists or BackupInvalid, are asserted in
# Vault.Tests.ps1 with that scenario.)
#
# An error is asserted the Pester way, by its fully qualified id:
#     { ... -ErrorAction Stop } | Should -Throw -ErrorId '<Id>,Vault.PowerShell.Commands.<Cmdlet>Command'
# and whether it is terminating by running the command again with -ErrorAction SilentlyContinue: a
# terminating error (a bad argument, an unavailable vault) still throws; a non-terminating one (about
# one item) is only written, and the pipeline goes on.

Describe 'Vault error records' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        Import-Module ($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')) -Force
        $previousVaultHome = $env:VAULT_HOME

        # A count of every secret version in every vault: a failed command must change nothing.
        function Get-VersionCount {
            @(Get-Vault | Get-VaultSecret | ForEach-Object Version).Count
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'

        New-Vault err-vault | Out-Null
        New-Vault locked-vault -EnablePurgeProtection | Out-Null
        Set-VaultSecret err-vault db 'v'
        Set-VaultSecret err-vault off 'v' -Disable
        Set-VaultSecret err-vault gone 'v'
        Remove-VaultSecret err-vault gone -Force
        Set-VaultSecret locked-vault kept 'v'
        Remove-VaultSecret locked-vault kept -Force
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    Context 'each error has a stable id, category and target' {
        It '<Command> fails with <ErrorId>' -ForEach @(
            @{ Command = 'Get-VaultSecret -VaultName no-such-vault -Name db'; ErrorId = 'VaultNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'ObjectNotFound'; Target = 'no-such-vault'; Terminating = $false }
            @{ Command = 'New-Vault -Name err-vault'; ErrorId = 'VaultAlreadyExists,Vault.PowerShell.Commands.NewVaultCommand'; Category = 'ResourceExists'; Target = 'err-vault'; Terminating = $false }
            @{ Command = 'Get-VaultSecret err-vault nope'; ErrorId = 'SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'ObjectNotFound'; Target = 'nope'; Terminating = $false }
            @{ Command = 'Remove-VaultSecret err-vault nope -Force'; ErrorId = 'SecretNotFound,Vault.PowerShell.Commands.RemoveVaultSecretCommand'; Category = 'ObjectNotFound'; Target = 'nope'; Terminating = $false }
            @{ Command = 'Undo-VaultSecretRemoval err-vault db'; ErrorId = 'SecretNotFound,Vault.PowerShell.Commands.UndoVaultSecretRemovalCommand'; Category = 'ObjectNotFound'; Target = 'db'; Terminating = $false }
            @{ Command = 'Get-VaultSecret err-vault db -Version 0123456789abcdef0123456789abcdef'; ErrorId = 'SecretVersionNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'ObjectNotFound'; Target = 'db'; Terminating = $false }
            @{ Command = 'Get-VaultSecret err-vault off'; ErrorId = 'SecretDisabled,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'InvalidOperation'; Target = 'off'; Terminating = $false }
            @{ Command = "Set-VaultSecret err-vault gone 'again'"; ErrorId = 'SecretIsDeleted,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidOperation'; Target = 'gone'; Terminating = $false }
            @{ Command = "Set-VaultSecret err-vault 'bad_name' 'v'"; ErrorId = 'InvalidSecretName,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 'bad_name'; Terminating = $true }
            @{ Command = "Get-VaultSecret err-vault 'bad.name'"; ErrorId = 'InvalidSecretName,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 'bad.name'; Terminating = $true }
            @{ Command = "Set-VaultSecret err-vault big ('x' * 25601)"; ErrorId = 'SecretValueTooLarge,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 'big'; Terminating = $true }
            @{ Command = "Set-VaultSecret err-vault t 'v' -Tag @{ a=1;b=2;c=3;d=4;e=5;f=6;g=7;h=8;i=9;j=10;k=11;l=12;m=13;n=14;o=15;p=16 }"; ErrorId = 'InvalidSecretAttribute,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 't'; Terminating = $true }
            @{ Command = "Set-VaultSecret err-vault t 'v' -ContentType ('c' * 256)"; ErrorId = 'InvalidSecretAttribute,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 't'; Terminating = $true }
            @{ Command = "Set-VaultSecret err-vault t 'v' -NotBefore '2030-01-02' -Expires '2030-01-01'"; ErrorId = 'InvalidSecretAttribute,Vault.PowerShell.Commands.SetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 't'; Terminating = $true }
            @{ Command = 'Remove-VaultSecret locked-vault kept -InRemovedState -Force'; ErrorId = 'PurgeProtected,Vault.PowerShell.Commands.RemoveVaultSecretCommand'; Category = 'InvalidOperation'; Target = 'kept'; Terminating = $false }
            @{ Command = 'Remove-Vault locked-vault -Force'; ErrorId = 'PurgeProtected,Vault.PowerShell.Commands.RemoveVaultCommand'; Category = 'InvalidOperation'; Target = 'locked-vault'; Terminating = $false }
            @{ Command = "Get-VaultSecret -Id 'vault:/err-vault/db'"; ErrorId = 'InvalidSecretId,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 'vault:/err-vault/db'; Terminating = $true }
            @{ Command = "Get-VaultSecret err-vault db -Version 'NOT-HEX'"; ErrorId = 'InvalidSecretVersion,Vault.PowerShell.Commands.GetVaultSecretCommand'; Category = 'InvalidArgument'; Target = 'NOT-HEX'; Terminating = $true }
            @{ Command = "New-Vault -Name 'no spaces'"; ErrorId = 'InvalidVaultName,Vault.PowerShell.Commands.NewVaultCommand'; Category = 'InvalidArgument'; Target = 'no spaces'; Terminating = $true }
            @{ Command = 'Update-Vault locked-vault -EnablePurgeProtection:$false'; ErrorId = 'InvalidVaultAttribute,Vault.PowerShell.Commands.UpdateVaultCommand'; Category = 'InvalidOperation'; Target = 'locked-vault'; Terminating = $false }
        ) {
            $before = Get-VersionCount

            # Called from this block, so that the command runs in the test's session state, not Pester's.
            $stopping = [scriptblock]::Create("$Command -ErrorAction Stop")
            $err = { & $stopping } | Should -Throw -ErrorId $ErrorId -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]$Category)
            $err.TargetObject | Should -BeExactly $Target
            [string]::IsNullOrWhiteSpace($err.Exception.Message) | Should -BeFalse

            $tolerant = [scriptblock]::Create("$Command -ErrorAction SilentlyContinue")
            if ($Terminating) {
                { & $tolerant } | Should -Throw -ErrorId $ErrorId -Because "$ErrorId is a terminating error: it stops the command even under -ErrorAction SilentlyContinue"
            }
            else {
                { & $tolerant } | Should -Not -Throw -Because "$ErrorId is a non-terminating error: it is written and the pipeline goes on"
            }

            Get-VersionCount | Should -Be $before
        }
    }

    It 'errors can be matched as Pester users match them' {
        { Get-VaultSecret err-vault nope -ErrorAction Stop } |
            Should -Throw -ErrorId 'SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'

        $id = try { Get-VaultSecret err-vault nope -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }
        $id | Should -BeExactly 'SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'
    }

    It 'a non-terminating error lets the pipeline go on' {
        $values = 'db', 'nope', 'off', 'db' | ForEach-Object {
            Get-VaultSecret err-vault $_ -AsPlainText -ErrorAction SilentlyContinue -ErrorVariable +pipelineErrors
        }
        $values | Should -BeExactly @('v', 'v')
        $pipelineErrors | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] } | Should -BeExactly @('SecretNotFound', 'SecretDisabled')
    }

    It 'a tampered ciphertext is SecretIntegrityFailed' {
        $path = (Get-Vault err-vault).Path
        Set-VaultSecret err-vault other 'other-value'
        # Someone with the file moves one secret's ciphertext onto another.
        Invoke-VaultSql -Path $path -Sql "UPDATE secret_version SET value = (SELECT value FROM secret_version WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'other')) WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'db');"

        $err = { Get-VaultSecret err-vault db -ErrorAction Stop } |
            Should -Throw -ErrorId 'SecretIntegrityFailed,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru
        { Get-VaultSecret err-vault db -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'SecretIntegrityFailed is non-terminating'
        $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
        $err.TargetObject | Should -BeExactly 'db'
        $err.Exception.Message | Should -Not -BeLikeExactly '*other-value*'
        Get-VaultSecret err-vault other -AsPlainText | Should -BeExactly 'other-value'
    }

    It 'a missing key file is KeyProtectorUnavailable and stops the command' {
        $path = (Get-Vault err-vault).Path
        Unregister-Vault err-vault
        $copy = Join-Path $VaultHome 'copy.vault'
        Copy-Item -LiteralPath $path -Destination $copy
        Copy-Item -LiteralPath "$path-wal" -Destination "$copy-wal"
        Register-Vault $copy -Name copy-vault

        $err = { Get-VaultSecret copy-vault db -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'KeyProtectorUnavailable,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru -Because 'KeyProtectorUnavailable is terminating'
        $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceUnavailable)
        # The copy looks for its key file beside itself: <vault file>.key.
        $err.Exception.Message.Contains("$copy.key") | Should -BeTrue -Because "the message names the key file it looked for: $($err.Exception.Message)"
    }
}
