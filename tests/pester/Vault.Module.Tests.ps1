#Requires -Version 7.6
# Pester 5 tests: the module as PowerShell sees it: manifest, exports, output types, load contexts,
# the files it ships. Mirrors tests/Vault.PowerShell.Tests/ModuleTests.cs scenario for scenario.

Describe 'Vault module' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $moduleDir = Split-Path ([IO.Path]::GetFullPath(($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1'))))
        $manifest = Join-Path $moduleDir 'Vault.psd1'
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME

        # The one version number, which the build stamps into the manifest.
        $expectedVersion = ([xml](Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix |
            Where-Object { $_ } | Select-Object -First 1

        # The 34 cmdlets Vault.psd1 exports, sorted as Sort-Object sorts them (ModuleTests.Cmdlets).
        $cmdlets = @(
            'Backup-VaultSecret', 'Export-VaultAuditLog', 'Export-VaultKeyring', 'Get-Vault', 'Get-VaultAuditHash', 'Get-VaultAuditHead',
            'Get-VaultAuditLog', 'Get-VaultContext', 'Get-VaultRoleAssignment', 'Get-VaultRoleDefinition',
            'Get-VaultSecret', 'Import-VaultKeyring', 'Invoke-VaultKeyRotation', 'Lock-Vault', 'New-Vault', 'New-VaultRoleAssignment',
            'New-VaultRoleDefinition', 'Register-Vault', 'Remove-Vault', 'Remove-VaultRoleAssignment', 'Remove-VaultRoleDefinition',
            'Remove-VaultSecret', 'Restore-VaultSecret', 'Set-VaultDefault', 'Set-VaultKeyProtector', 'Set-VaultSecret',
            'Test-Vault', 'Test-VaultAccess', 'Test-VaultAuditLog', 'Undo-VaultSecretRemoval', 'Unlock-Vault', 'Unregister-Vault', 'Update-Vault', 'Update-VaultSecret'
        )
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

    It 'the manifest exports every cmdlet by name and is stamped by the build' {
        $module = Get-Module Vault
        $module | Should -HaveCount 1
        $module.Version.ToString() | Should -BeExactly $expectedVersion
        $cmdlets | Should -HaveCount 34
        (Get-Command -Module Vault).Name | Sort-Object | Should -BeExactly $cmdlets

        $data = Import-PowerShellDataFile -LiteralPath $manifest
        $data.CmdletsToExport | Sort-Object | Should -BeExactly $cmdlets
        $data.CmdletsToExport | Where-Object { $_.Contains('*') } | Should -BeNullOrEmpty
        $data.CompatiblePSEditions | Should -BeExactly @('Core')
        $data.PowerShellVersion | Should -BeExactly '7.6'
    }

    It 'every cmdlet uses an approved verb, declares its output and has at most three parameter sets' {
        $approved = (Get-Verb).Verb
        foreach ($name in $cmdlets) {
            $command = Get-Command $name
            $command | Should -BeOfType [System.Management.Automation.CmdletInfo]
            $approved | Should -Contain $command.Verb -Because "$name uses an approved verb"
            $command.ImplementingType.IsSealed | Should -BeTrue -Because "$name is sealed"
            $command.ImplementingType.Name | Should -BeExactly "$($command.Verb)$($command.Noun)Command"
            $command.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false) |
                Should -Not -BeNullOrEmpty -Because "$name declares its output type"
            $command.ParameterSets.Count | Should -BeGreaterOrEqual 1
            $command.ParameterSets.Count | Should -BeLessOrEqual 3 -Because "$name has at most three parameter sets"
        }
    }

    It 'output types are seen by their full names from the default load context' {
        New-Vault -Name lc-vault | Out-Null
        Set-VaultSecret -VaultName lc-vault -Name db -SecretValue 'x'
        $objects = (Get-Vault -Name lc-vault), (Get-VaultSecret -VaultName lc-vault -Name db), (Get-VaultSecret -VaultName lc-vault)
        $seen = foreach ($o in $objects) {
            '{0}|{1}' -f $o.PSObject.TypeNames[0], [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($o.GetType().Assembly).Name
        }
        $seen | Should -BeExactly @('Vault.VaultInfo|Default', 'Vault.VaultSecret|Default', 'Vault.VaultSecretProperties|Default')

        $isolated = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'Vault' |
            ForEach-Object { $_.Assemblies.GetName().Name } | Sort-Object
        $isolated | Should -Contain 'Vault.Core'
        $isolated | Should -Contain 'Microsoft.Data.Sqlite'
        $isolated | Should -Not -Contain 'Vault.Model'
    }

    It 'the module folder ships SQLite for four platforms and no PowerShell assembly' {
        $files = Get-ChildItem -LiteralPath $moduleDir -Recurse -File -Force |
            ForEach-Object { [IO.Path]::GetRelativePath($moduleDir, $_.FullName).Replace('\', '/') }
        $files | Should -Contain 'bin/private/runtimes/linux-x64/native/libe_sqlite3.so'
        $files | Should -Contain 'bin/private/runtimes/win-x64/native/e_sqlite3.dll'
        $files | Should -Contain 'bin/private/runtimes/osx-x64/native/libe_sqlite3.dylib'
        $files | Should -Contain 'bin/private/runtimes/osx-arm64/native/libe_sqlite3.dylib'
        $files | Where-Object { $_.EndsWith('System.Management.Automation.dll', [StringComparison]::Ordinal) } | Should -BeNullOrEmpty
        $files | Should -Contain 'Vault.format.ps1xml'
        $files | Should -Contain 'Vault.types.ps1xml'
        $files | Should -Contain 'en-US/about_Vault.help.txt'
    }

    It 'importing twice, and -Force re-import, keep working' {
        Import-Module $manifest -Force
        New-Vault -Name re-vault | Out-Null
        Set-VaultSecret re-vault db 'v'
        Get-VaultSecret re-vault db -AsPlainText | Should -BeExactly 'v'
    }
}
