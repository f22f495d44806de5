#Requires -Version 7.6
# Pester 5 tests: tab completion of vault and secret names, through TabExpansion2 as the console's
# Tab key calls it. Mirrors tests/Vault.PowerShell.Tests/CompletionTests.cs scenario for scenario.

Describe 'Vault tab completion' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $manifest = $env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME

        # What Tab offers at the end of a command line.
        function Get-Completion {
            param([Parameter(Mandatory)][string] $Line)
            (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'

        New-Vault app-vault | Out-Null
        New-Vault apex-vault | Out-Null
        New-Vault web-vault | Out-Null
        'Database', 'DbReadOnly', 'api-key' | ForEach-Object { Set-VaultSecret web-vault $_ 'v' }
        Set-VaultSecret app-vault Dusty 'v'
        Set-VaultSecret web-vault Deleted-One 'v'
        Remove-VaultSecret web-vault Deleted-One -Force
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    It 'vault names complete' {
        Get-Completion 'Get-VaultSecret -VaultName ap' | Should -BeExactly @('apex-vault', 'app-vault')
        Get-Completion 'Remove-Vault W' | Should -BeExactly @('web-vault')
        Get-Completion 'Get-Vault -Name ' | Should -BeExactly @('apex-vault', 'app-vault', 'web-vault')
    }

    It 'secret names complete from the named vault, or the default' {
        Get-Completion 'Get-VaultSecret -VaultName web-vault -Name D' | Should -BeExactly @('Database', 'DbReadOnly')
        Get-Completion 'Set-VaultSecret web-vault d' | Should -BeExactly @('Database', 'DbReadOnly')
        # app-vault, made first, is the default.
        Get-Completion 'Get-VaultSecret -Name D' | Should -BeExactly @('Dusty')
        Get-Completion 'Undo-VaultSecretRemoval -VaultName web-vault -Name D' | Should -BeExactly @('Deleted-One')
        Get-Completion 'Get-VaultSecret -VaultName web-vault -InRemovedState -Name D' | Should -BeExactly @('Deleted-One')
        Get-Completion 'Get-VaultSecret -VaultName no-such-vault -Name D' | Should -BeNullOrEmpty
    }

    It 'completion never unlocks the vault' {
        # A vault this process has never opened, whose key file is missing: completion lists its
        # names from metadata alone, while reading a value needs the key and fails.
        $path = (Get-Vault web-vault).Path
        $copy = Join-Path $VaultHome 'locked-copy.vault'
        Copy-Item -LiteralPath $path -Destination $copy
        Copy-Item -LiteralPath "$path-wal" -Destination "$copy-wal"
        Register-Vault $copy -Name locked-copy
        Get-Completion 'Get-VaultSecret -VaultName locked-copy -Name D' | Should -BeExactly @('Database', 'DbReadOnly')
        { Get-VaultSecret locked-copy Database -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'KeyProtectorUnavailable,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'the copy has no key file to unlock it with'
    }
}
