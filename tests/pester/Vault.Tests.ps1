#Requires -Version 7.6
# Pester 5 tests for Vault's secret and vault cmdlets, as a user types them. They mirror, scenario for
# scenario, tests/Vault.PowerShell.Tests/SecretCmdletTests.cs and VaultCmdletTests.cs (plus a
# plaintext scan of the files a vault leaves on disk).
#
# Conventions, shared by every file in this folder:
# - Each test gets a fresh $env:VAULT_HOME. It is a folder under [IO.Path]::GetTempPath() rather than
#   $TestDrive because the module keeps its vault files open for the life of the process, and on
#   Windows Pester could not remove a TestDrive holding them.
# - $ErrorActionPreference is 'Stop' in every test, so a command that writes an error it should not
#   fails the test (the xunit tests' .Succeeded()).
# - An error is asserted the Pester way, by its fully qualified id:
#       { ... -ErrorAction Stop } | Should -Throw -ErrorId '<Id>,Vault.PowerShell.Commands.<Cmdlet>Command'
#   and whether it is terminating (xunit: Fails(..., terminating)) by running the command again with
#   -ErrorAction SilentlyContinue: a terminating error still throws, a non-terminating one does not.

Describe 'Vault secrets and vaults' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        Import-Module ($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')) -Force
        $previousVaultHome = $env:VAULT_HOME
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    Context 'Secret cmdlets' {
        # Secrets through the cmdlets, and the pipelines Az.KeyVault users expect (SecretCmdletTests).
        BeforeEach {
            New-Vault -Name app-vault | Out-Null
        }

        It 'Set-VaultSecret returns nothing unless -PassThru, and Get-VaultSecret returns a SecureString' {
            Set-VaultSecret -VaultName app-vault -Name Database -SecretValue (ConvertTo-SecureString 'pw-1' -AsPlainText -Force) |
                Should -BeNullOrEmpty

            $passThru = Set-VaultSecret -VaultName app-vault -Name Database -SecretValue (ConvertTo-SecureString 'pw-2' -AsPlainText -Force) -PassThru
            $passThru | Should -HaveCount 1
            $passThru.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultSecretProperties'
            $passThru.PSObject.Properties['SecretValue'] | Should -BeNullOrEmpty

            $secret = Get-VaultSecret -VaultName app-vault -Name Database
            $secret | Should -HaveCount 1
            $secret.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultSecret'
            $secret.SecretValue | Should -BeOfType [securestring]
            $secret.Version | Should -BeExactly $passThru.Version
            $secret.Id | Should -BeExactly "vault://app-vault/secrets/Database/$($secret.Version)"

            Get-VaultSecret -VaultName app-vault -Name Database -AsPlainText | Should -BeExactly 'pw-2'
            (Get-VaultSecret app-vault Database).SecretValue | ConvertFrom-SecureString -AsPlainText | Should -BeExactly 'pw-2'
        }

        It '-SecretValue accepts a string or a credential (with its user name), and nothing else' {
            Set-VaultSecret -VaultName app-vault -Name plain -SecretValue 'from-a-string'
            $cred = [pscredential]::new('svc-user', (ConvertTo-SecureString 'from-a-credential' -AsPlainText -Force))
            Set-VaultSecret -VaultName app-vault -Name cred -SecretValue $cred

            Get-VaultSecret app-vault plain -AsPlainText | Should -BeExactly 'from-a-string'
            $back = Get-VaultSecret app-vault cred -AsCredential
            $back | Should -BeOfType ([pscredential])
            $back.UserName | Should -BeExactly 'svc-user'
            $back.GetNetworkCredential().Password | Should -BeExactly 'from-a-credential'
            { Get-VaultSecret app-vault cred -AsPlainText -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretTypeMismatch,Vault.PowerShell.Commands.GetVaultSecretCommand'

            { Set-VaultSecret -VaultName app-vault -Name num -SecretValue 42 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentTransformationError,Vault.PowerShell.Commands.SetVaultSecretCommand'
        }

        It 'attributes are set, carried forward to the next version and listed with -IncludeVersions' {
            $expires = [datetime]::new(2030, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
            Set-VaultSecret app-vault db 'one' -ContentType 'connection-string' -Tag @{ env = 'dev'; app = 'web' } -Expires $expires -NotBefore ([datetime]::new(2020, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
            Set-VaultSecret app-vault db 'two'

            $latest = Get-VaultSecret app-vault db
            $latest | Should -HaveCount 1
            $latest.ContentType | Should -BeExactly 'connection-string'
            $latest.Tags | Should -BeOfType [hashtable]
            $latest.Tags['env'] | Should -BeExactly 'dev'
            $latest.Expires | Should -BeNullOrEmpty

            $versions = @(Get-VaultSecret app-vault db -IncludeVersions)
            $versions | Should -HaveCount 2
            foreach ($version in $versions) {
                $version.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultSecretProperties#Version'
                $version | Should -BeOfType ([Vault.VaultSecretProperties])
            }
            $versions[0].Version | Should -BeExactly $latest.Version
            $versions[1].Expires | Should -Be $expires
        }

        It 'a disabled secret is refused, and an expired or not-yet-valid one warns' {
            Set-VaultSecret app-vault off 'x' -Disable
            Set-VaultSecret app-vault old 'y' -Expires ([datetime]::UtcNow.AddDays(-1))
            Set-VaultSecret app-vault early 'z' -NotBefore ([datetime]::UtcNow.AddDays(1))

            $disabled = { Get-VaultSecret app-vault off -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretDisabled,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru
            { Get-VaultSecret app-vault off -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'SecretDisabled is non-terminating'
            $disabled.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
            $disabled.TargetObject | Should -BeExactly 'off'

            $value = Get-VaultSecret app-vault old -AsPlainText -WarningVariable expiredWarnings -WarningAction SilentlyContinue
            $value | Should -BeExactly 'y'
            $expiredWarnings | Should -HaveCount 1
            $expiredWarnings[0].Message | Should -BeLikeExactly '*expired*'

            $null = Get-VaultSecret app-vault early -WarningVariable earlyWarnings -WarningAction SilentlyContinue
            $earlyWarnings | Should -HaveCount 1
            $earlyWarnings[0].Message | Should -BeLikeExactly '*not valid before*'
        }

        It 'a wildcard or no -Name lists properties without values' {
            'app-db', 'app-api', 'web-db' | ForEach-Object { Set-VaultSecret app-vault $_ 'v' }

            $all = @(Get-VaultSecret -VaultName app-vault)
            $all.Name | Should -BeExactly @('app-api', 'app-db', 'web-db')
            foreach ($item in $all) {
                $item.PSObject.Properties['SecretValue'] | Should -BeNullOrEmpty
            }
            (Get-VaultSecret app-vault 'app-*').Name | Should -BeExactly @('app-api', 'app-db')
            Get-VaultSecret app-vault 'none-*' | Should -BeNullOrEmpty
        }

        It 'Get-VaultSecret -Id reads a version, or the latest' {
            Set-VaultSecret app-vault db 'one'
            Set-VaultSecret app-vault db 'two'
            $first = (Get-VaultSecret app-vault db -IncludeVersions | Select-Object -Last 1).Id

            Get-VaultSecret -Id $first -AsPlainText | Should -BeExactly 'one'
            Get-VaultSecret -Id 'vault://app-vault/secrets/db' -AsPlainText | Should -BeExactly 'two'
            { Get-VaultSecret -Id 'https://app-vault/secrets/db' -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidSecretId,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'InvalidSecretId is terminating'
        }

        It 'Update-VaultSecret changes attributes, makes no version and takes pipeline input' {
            1..3 | ForEach-Object { Set-VaultSecret app-vault db "v$_" }

            Get-VaultSecret app-vault db -IncludeVersions | Update-VaultSecret -Enable $false | Should -BeNullOrEmpty
            $versions = @(Get-VaultSecret app-vault db -IncludeVersions)
            $versions | Should -HaveCount 3
            foreach ($version in $versions) {
                $version.Enabled | Should -BeFalse
            }

            $updated = Update-VaultSecret app-vault db -Enable $true -ContentType 'text/plain' -Tag @{ owner = 'ops' } -PassThru
            $updated | Should -HaveCount 1
            $updated.Version | Should -BeExactly $versions[0].Version
            $updated.Enabled | Should -BeTrue
            Get-VaultSecret app-vault db -AsPlainText | Should -BeExactly 'v3'
            Get-VaultSecret app-vault db -IncludeVersions | Should -HaveCount 3

            { Update-VaultSecret app-vault db -Version 00000000000000000000000000000000 -Enable $true -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretVersionNotFound,Vault.PowerShell.Commands.UpdateVaultSecretCommand'
            { Update-VaultSecret app-vault db -Version 00000000000000000000000000000000 -Enable $true -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'SecretVersionNotFound is non-terminating'
            { Update-VaultSecret app-vault db -ContentType ('x' * 256) -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidSecretAttribute,Vault.PowerShell.Commands.UpdateVaultSecretCommand' -Because 'InvalidSecretAttribute is terminating'
        }

        It 'remove, undo and purge work through pipelines' {
            'app-db', 'app-api', 'web-db' | ForEach-Object { Set-VaultSecret app-vault $_ 'v' }

            Get-VaultSecret -VaultName app-vault -Name 'app-*' | Remove-VaultSecret -Force | Should -BeNullOrEmpty
            (Get-VaultSecret app-vault).Name | Should -BeExactly @('web-db')

            $deleted = @(Get-VaultSecret -VaultName app-vault -InRemovedState)
            $deleted.Name | Should -BeExactly @('app-api', 'app-db')
            foreach ($item in $deleted) {
                $item.PSObject.TypeNames[0] | Should -BeExactly 'Vault.DeletedVaultSecret'
            }

            $recovered = @(Get-VaultSecret -VaultName app-vault -InRemovedState | Undo-VaultSecretRemoval)
            $recovered.Name | Should -BeExactly @('app-api', 'app-db')
            Get-VaultSecret app-vault | Should -HaveCount 3

            $passThru = Remove-VaultSecret app-vault web-db -Force -PassThru
            $passThru | Should -HaveCount 1
            $passThru.PSObject.TypeNames[0] | Should -BeExactly 'Vault.DeletedVaultSecret'
            (Get-VaultSecret app-vault web-db -InRemovedState).Name | Should -BeExactly 'web-db'

            $conflict = { Set-VaultSecret app-vault web-db 'again' -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretIsDeleted,Vault.PowerShell.Commands.SetVaultSecretCommand' -PassThru
            { Set-VaultSecret app-vault web-db 'again' -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'SecretIsDeleted is non-terminating'
            $conflict.Exception.Message | Should -BeLikeExactly '*Undo-VaultSecretRemoval*'

            Remove-VaultSecret app-vault web-db -InRemovedState -Force
            Get-VaultSecret app-vault -InRemovedState | Should -BeNullOrEmpty
            Set-VaultSecret app-vault web-db 'reborn'
        }

        It 'purging is refused under purge protection' {
            New-Vault -Name safe-vault -EnablePurgeProtection -SoftDeleteRetentionInDays 7 | Out-Null
            Set-VaultSecret safe-vault db 'v'
            Remove-VaultSecret safe-vault db -Force

            $err = { Remove-VaultSecret safe-vault db -InRemovedState -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'PurgeProtected,Vault.PowerShell.Commands.RemoveVaultSecretCommand' -PassThru
            { Remove-VaultSecret safe-vault db -InRemovedState -Force -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'PurgeProtected is non-terminating'
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
            Get-VaultSecret safe-vault -InRemovedState | Should -HaveCount 1
        }

        It 'backs up to a file and restores from it, refusing a damaged or missing file' {
            $blob = Join-Path $VaultHome 'db.blob'
            Set-VaultSecret app-vault db 'one' -ContentType 'text/plain'
            Set-VaultSecret app-vault db 'two'

            $file = Backup-VaultSecret -VaultName app-vault -Name db -OutputFile $blob
            $file | Should -HaveCount 1
            $file.FullName | Should -BeExactly $blob
            { Backup-VaultSecret app-vault db $blob -ErrorAction Stop } |
                Should -Throw -ErrorId 'OutputFileExists,Vault.PowerShell.Commands.BackupVaultSecretCommand'
            { Backup-VaultSecret app-vault db $blob -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'OutputFileExists is non-terminating'
            Backup-VaultSecret app-vault db $blob -Force | Out-Null

            { Restore-VaultSecret -VaultName app-vault -InputFile $blob -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretAlreadyExists,Vault.PowerShell.Commands.RestoreVaultSecretCommand'
            { Restore-VaultSecret -VaultName app-vault -InputFile $blob -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'SecretAlreadyExists is non-terminating'
            Remove-VaultSecret app-vault db -Force
            Remove-VaultSecret app-vault db -InRemovedState -Force

            $restored = Get-Item -LiteralPath $blob | Restore-VaultSecret -VaultName app-vault
            $restored | Should -HaveCount 1
            $restored.Name | Should -BeExactly 'db'
            Get-VaultSecret app-vault db -AsPlainText | Should -BeExactly 'two'
            Get-VaultSecret app-vault db -IncludeVersions | Should -HaveCount 2

            $damaged = Join-Path $VaultHome 'damaged.blob'
            $bytes = [IO.File]::ReadAllBytes($blob)
            $bytes[-5] = $bytes[-5] -bxor 0xff
            [IO.File]::WriteAllBytes($damaged, $bytes)
            Remove-VaultSecret app-vault db -Force
            Remove-VaultSecret app-vault db -InRemovedState -Force
            $invalid = { Restore-VaultSecret app-vault $damaged -ErrorAction Stop } |
                Should -Throw -ErrorId 'BackupInvalid,Vault.PowerShell.Commands.RestoreVaultSecretCommand' -PassThru
            { Restore-VaultSecret app-vault $damaged -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'BackupInvalid is non-terminating'
            $invalid.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
            $invalid.TargetObject | Should -BeExactly $damaged
            Get-VaultSecret app-vault | Should -BeNullOrEmpty

            $missing = Join-Path $VaultHome 'missing.blob'
            { Restore-VaultSecret app-vault $missing -ErrorAction Stop } |
                Should -Throw -ErrorId 'BackupFileNotFound,Vault.PowerShell.Commands.RestoreVaultSecretCommand'
            { Restore-VaultSecret app-vault $missing -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'BackupFileNotFound is non-terminating'
        }

        It 'the default vault lets -VaultName be omitted' {
            New-Vault -Name other-vault | Out-Null
            Set-VaultSecret -Name db -SecretValue 'in-default'
            Get-VaultSecret -VaultName app-vault -Name db -AsPlainText | Should -BeExactly 'in-default'

            Set-VaultDefault -Name other-vault
            Set-VaultSecret -Name db -SecretValue 'in-other'
            Get-VaultSecret -Name db -AsPlainText | Should -BeExactly 'in-other'
            Get-VaultSecret app-vault db -AsPlainText | Should -BeExactly 'in-default'
        }

        It 'Get-Vault pipes into Get-VaultSecret' {
            New-Vault -Name other-vault | Out-Null
            Set-VaultSecret app-vault a 'x'
            Set-VaultSecret other-vault b 'y'

            $all = Get-Vault | Get-VaultSecret
            $all | ForEach-Object { "$($_.VaultName)/$($_.Name)" } | Should -BeExactly @('app-vault/a', 'other-vault/b')
        }

        It 'listed secrets pipe into Get-VaultSecret for their values' {
            Set-VaultSecret app-vault a 'x'
            Set-VaultSecret app-vault b 'y'
            Get-VaultSecret app-vault | Get-VaultSecret -AsPlainText | Should -BeExactly @('x', 'y')
        }

        It 'refuses parameter combinations that make no sense' {
            Set-VaultSecret app-vault db 'x'
            $id = 'InvalidParameterCombination,Vault.PowerShell.Commands.GetVaultSecretCommand'
            # Each is terminating: it throws even under -ErrorAction SilentlyContinue.
            { Get-VaultSecret app-vault 'd*' -Version 00000000000000000000000000000000 -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault db -IncludeVersions -AsPlainText -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault 'd*' -IncludeVersions -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault db -InRemovedState -Version 00000000000000000000000000000000 -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault -AsPlainText -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault 'd*' -AsPlainText -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
            { Get-VaultSecret app-vault -InRemovedState -AsPlainText -ErrorAction SilentlyContinue } | Should -Throw -ErrorId $id
        }
    }

    Context 'Vault cmdlets' {
        # Creating, finding, changing and removing vaults (VaultCmdletTests).

        It 'New-Vault returns the vault and Get-Vault lists it' {
            $created = New-Vault -Name team-vault -SoftDeleteRetentionInDays 30 -EnablePurgeProtection
            $created | Should -HaveCount 1
            $created.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultInfo'
            $created.VaultName | Should -BeExactly 'team-vault'
            $created.SoftDeleteRetentionInDays | Should -Be 30
            $created.EnablePurgeProtection | Should -BeTrue
            $created.KeyProtector | Should -BeExactly 'Software'
            $created.IsDefault | Should -BeTrue
            $created.Path | Should -BeExactly (Join-Path $VaultHome 'vaults' 'team-vault.vault')

            New-Vault other-vault | Out-Null
            (Get-Vault).VaultName | Should -BeExactly @('team-vault', 'other-vault')
            (Get-Vault -Name 'oth*').VaultName | Should -BeExactly @('other-vault')
            ('team-vault' | Get-Vault).VaultName | Should -BeExactly @('team-vault')
        }

        It 'New-Vault -Path takes a path relative to the current location' {
            $folder = Join-Path $VaultHome 'elsewhere'
            $null = New-Item -ItemType Directory -Path $folder
            Push-Location -LiteralPath $folder
            try {
                $created = New-Vault -Name rel-vault -Path ./rel.vault
            }
            finally {
                Pop-Location
            }
            $created | Should -HaveCount 1
            $created.Path | Should -BeExactly (Join-Path $folder 'rel.vault')
            Join-Path $folder 'rel.vault.key' | Should -Exist
        }

        It 'New-Vault refuses bad names, bad retention and duplicates' {
            { New-Vault -Name 'x' -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidVaultName,Vault.PowerShell.Commands.NewVaultCommand' -Because 'InvalidVaultName is terminating'
            { New-Vault -Name ok-vault -SoftDeleteRetentionInDays 5 -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidVaultAttribute,Vault.PowerShell.Commands.NewVaultCommand' -Because 'a bad retention is terminating'
            New-Vault -Name ok-vault | Out-Null

            $duplicate = { New-Vault -Name OK-VAULT -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultAlreadyExists,Vault.PowerShell.Commands.NewVaultCommand' -PassThru
            { New-Vault -Name OK-VAULT -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultAlreadyExists is non-terminating'
            $duplicate.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
            $duplicate.TargetObject | Should -BeExactly 'OK-VAULT'

            $taken = Join-Path $VaultHome 'vaults' 'ok-vault.vault'
            { New-Vault -Name another-vault -Path $taken -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultFileExists,Vault.PowerShell.Commands.NewVaultCommand'
            { New-Vault -Name another-vault -Path $taken -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultFileExists is non-terminating'
            Get-Vault | Should -HaveCount 1
        }

        It 'an unknown vault name is VaultNotFound, and no default vault is NoDefaultVault' {
            $err = { Get-Vault -Name nope-vault -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultNotFound,Vault.PowerShell.Commands.GetVaultCommand' -PassThru
            { Get-Vault -Name nope-vault -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultNotFound is non-terminating'
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
            $err.Exception.Message | Should -BeLikeExactly '*New-Vault*'

            { Get-VaultSecret -VaultName nope-vault -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'
            { Get-VaultSecret -VaultName nope-vault -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultNotFound is non-terminating'
            { Get-VaultSecret -Name x -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'NoDefaultVault,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'NoDefaultVault is terminating'
        }

        It 'Update-Vault changes retention, and purge protection only goes on' {
            New-Vault upd-vault | Out-Null
            Update-Vault upd-vault -SoftDeleteRetentionInDays 14 | Should -BeNullOrEmpty

            $updated = Get-Vault upd-vault | Update-Vault -EnablePurgeProtection -PassThru
            $updated | Should -HaveCount 1
            $updated.SoftDeleteRetentionInDays | Should -Be 14
            $updated.EnablePurgeProtection | Should -BeTrue

            $off = { Update-Vault upd-vault -EnablePurgeProtection:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidVaultAttribute,Vault.PowerShell.Commands.UpdateVaultCommand' -PassThru
            { Update-Vault upd-vault -EnablePurgeProtection:$false -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'turning purge protection off is a non-terminating error'
            $off.Exception.Message | Should -BeLikeExactly '*cannot be turned off*'
            { Update-Vault upd-vault -SoftDeleteRetentionInDays 100 -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidVaultAttribute,Vault.PowerShell.Commands.UpdateVaultCommand' -Because 'a bad retention is terminating'
            (Get-Vault upd-vault).EnablePurgeProtection | Should -BeTrue
        }

        It 'Register-Vault and Unregister-Vault leave the file alone' {
            New-Vault reg-vault | Out-Null
            Set-VaultSecret reg-vault db 'shared-value'
            $path = (Get-Vault reg-vault).Path

            Unregister-Vault reg-vault | Should -BeNullOrEmpty
            Get-Vault | Should -BeNullOrEmpty
            $path | Should -Exist

            $registered = Register-Vault -Path $path -Name mine -PassThru
            $registered | Should -HaveCount 1
            $registered.VaultName | Should -BeExactly 'mine'
            Get-VaultSecret mine db -AsPlainText | Should -BeExactly 'shared-value'
            (Get-VaultSecret mine db).Id.Substring(0, 23) | Should -BeExactly 'vault://mine/secrets/db'

            { Register-Vault -Path $path -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultAlreadyExists,Vault.PowerShell.Commands.RegisterVaultCommand'
            { Register-Vault -Path $path -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultAlreadyExists is non-terminating'

            { Register-Vault -Path (Join-Path $VaultHome 'none.vault') -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'VaultFileNotFound,Vault.PowerShell.Commands.RegisterVaultCommand' -Because 'VaultFileNotFound is terminating'

            $text = Join-Path $VaultHome 'text.vault'
            [IO.File]::WriteAllText($text, 'not a database, just text, long enough to be read as one')
            { Register-Vault -Path $text -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotAVaultFile,Vault.PowerShell.Commands.RegisterVaultCommand'
            { Register-Vault -Path $text -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'NotAVaultFile is non-terminating'

            { Unregister-Vault nope-vault -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultNotFound,Vault.PowerShell.Commands.UnregisterVaultCommand'
            { Unregister-Vault nope-vault -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultNotFound is non-terminating'
        }

        It 'Remove-Vault deletes its files and honours purge protection' {
            New-Vault gone-vault | Out-Null
            Set-VaultSecret gone-vault db 'x'
            $path = (Get-Vault gone-vault).Path
            Remove-Vault gone-vault -Force
            Get-ChildItem -LiteralPath (Split-Path -Parent $path) -Filter 'gone-vault*' -File -Force | Should -BeNullOrEmpty
            Get-Vault | Should -BeNullOrEmpty

            New-Vault kept-vault -EnablePurgeProtection | Out-Null
            Set-VaultSecret kept-vault db 'x'
            $err = { Get-Vault kept-vault | Remove-Vault -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'PurgeProtected,Vault.PowerShell.Commands.RemoveVaultCommand' -PassThru
            { Get-Vault kept-vault | Remove-Vault -Force -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'PurgeProtected is non-terminating'
            $err.TargetObject | Should -BeExactly 'kept-vault'
            Get-Vault | Should -HaveCount 1
        }

        It 'Set-VaultDefault moves the default' {
            New-Vault one-vault | Out-Null
            New-Vault two-vault | Out-Null
            (Get-Vault one-vault).IsDefault | Should -BeTrue

            $passThru = Set-VaultDefault two-vault -PassThru
            $passThru | Should -HaveCount 1
            $passThru.IsDefault | Should -BeTrue
            (Get-Vault one-vault).IsDefault | Should -BeFalse

            { Set-VaultDefault nope-vault -ErrorAction Stop } |
                Should -Throw -ErrorId 'VaultNotFound,Vault.PowerShell.Commands.SetVaultDefaultCommand'
            { Set-VaultDefault nope-vault -ErrorAction SilentlyContinue } | Should -Not -Throw -Because 'VaultNotFound is non-terminating'
        }

        It 'a vault whose file is gone is listed with its status, beside the others' {
            New-Vault lost-vault | Out-Null
            New-Vault here-vault | Out-Null
            $path = (Get-Vault lost-vault).Path
            $external = Join-Path $VaultHome 'moved.vault'
            Unregister-Vault lost-vault
            Move-Item -LiteralPath $path -Destination $external
            Move-Item -LiteralPath "$path.key" -Destination "$external.key"
            Register-Vault $external -Name lost-vault
            Move-Item -LiteralPath $external -Destination "$external.gone"

            $result = Get-Vault -ErrorAction SilentlyContinue -ErrorVariable vaultErrors
            $vaultErrors | Should -HaveCount 0
            $result.VaultName | Should -BeExactly @('here-vault', 'lost-vault')
            $result.Status | Should -BeExactly @('Ok', 'Missing')
            $result[1].StatusErrorId | Should -BeExactly 'VaultFileNotFound'
            (Get-Vault | Where-Object Status -eq Missing).VaultName | Should -BeExactly 'lost-vault'
        }
    }

    Context 'Secret values at rest' {
        # What someone with the files can read without Vault: no value, in UTF-8, UTF-16 or base64, in
        # any file under VAULT_HOME, the SQLite write-ahead log (*-wal) and shared memory (*-shm) included.

        It 'no file under $env:VAULT_HOME holds a secret value in plain text' {
            $values = @(
                'pester-canary-7f3a9c1e-plain-string'
                'pester-canary-Zürich-Łódź-東京-€42'
                'Server=db.internal;Database=ledger;User Id=svc;Password=pester-canary-Hunter2!;'
                'pester-canary-credential-password-5d1b'
            )
            New-Vault -Name scan-vault | Out-Null
            Set-VaultSecret scan-vault as-string $values[0]
            Set-VaultSecret scan-vault as-secure-string (ConvertTo-SecureString $values[1] -AsPlainText -Force)
            Set-VaultSecret scan-vault connection $values[2] -ContentType 'connection-string'
            Set-VaultSecret scan-vault connection $values[2] -Tag @{ rotated = 'yes' }
            Set-VaultSecret scan-vault as-credential ([pscredential]::new('svc', (ConvertTo-SecureString $values[3] -AsPlainText -Force)))
            Backup-VaultSecret scan-vault connection (Join-Path $VaultHome 'connection.blob') | Out-Null
            Remove-VaultSecret scan-vault as-string -Force
            # Read every value back, so whatever reading leaves on disk is scanned too.
            Undo-VaultSecretRemoval scan-vault as-string | Out-Null
            $read = @(Get-VaultSecret scan-vault | Where-Object SecretType -ne 'PSCredential' | Get-VaultSecret -AsPlainText) +
                (Get-VaultSecret scan-vault as-credential -AsCredential).GetNetworkCredential().Password
            $read | Sort-Object | Should -BeExactly ($values | Sort-Object)

            $files = @(Get-ChildItem -LiteralPath $env:VAULT_HOME -Recurse -File -Force)
            $files.Name | Should -Contain 'scan-vault.vault-wal'
            $files.Name | Should -Contain 'scan-vault.vault-shm'

            # Each needle is a byte sequence held as a Latin-1 string: Latin-1 maps each byte to one char,
            # so an ordinal substring search is a byte search.
            $latin1 = [Text.Encoding]::Latin1
            $needles = foreach ($value in $values) {
                $latin1.GetString([Text.Encoding]::UTF8.GetBytes($value))
                $latin1.GetString([Text.Encoding]::Unicode.GetBytes($value))
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($value))
            }
            foreach ($file in $files) {
                # Share read and write: SQLite has the database, its -wal and -shm open.
                $stream = [IO.FileStream]::new($file.FullName, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
                try {
                    $buffer = [IO.MemoryStream]::new()
                    $stream.CopyTo($buffer)
                    $bytes = $buffer.ToArray()
                }
                finally {
                    $stream.Dispose()
                }
                $haystack = $latin1.GetString($bytes)
                foreach ($needle in $needles) {
                    $haystack.Contains($needle, [StringComparison]::Ordinal) |
                        Should -BeFalse -Because "no secret value may be in plain text in $($file.FullName)"
                }
            }
        }
    }
}
