#Requires -Version 7.6
# Pester 5 tests: -WhatIf changes nothing and says what it would do; -Confirm asks; -Force skips the
# question. Mirrors tests/Vault.PowerShell.Tests/ShouldProcessTests.cs scenario for scenario.
#
# About -Confirm: the xunit tests answer confirmation prompts through a test host. Pester has no such
# host, and a prompt in the console running Pester cannot be answered by a test, so:
# - every change is tested with -Confirm:$false (answered in advance: it goes ahead without asking)
#   and, where the cmdlet has it, with -Force;
# - that a command asks is seen from a runspace of its own with no host UI (Invoke-WithoutHost), as
#   in a scheduled job: there PowerShell cannot show the prompt, reports it as a
#   HostFunctionNotImplemented error that quotes it (ConfirmationNotPossible, which names the switch
#   that goes ahead, for a cmdlet with -Force), and the command does nothing, which is what
#   answering "No" does. No test here ever shows a prompt in the console running Pester.
# The what-if text goes to the host, not to a stream, so it is read from a transcript.

BeforeDiscovery {
    # Every command that changes something. NoChange: Set-VaultDefault names the vault that already
    # is the default, so going ahead changes nothing either.
    $changes = @(
        @{ Command = 'New-Vault -Name new-vault'; NoChange = $false }
        @{ Command = 'Update-Vault -Name sp-vault -SoftDeleteRetentionInDays 10'; NoChange = $false }
        @{ Command = "Register-Vault -Path (Join-Path `$env:VAULT_HOME 'copy.vault')"; NoChange = $false }
        @{ Command = 'Unregister-Vault -Name sp-vault'; NoChange = $false }
        @{ Command = 'Remove-Vault -Name sp-vault'; NoChange = $false }
        @{ Command = 'Remove-Vault -Name sp-vault -Force'; NoChange = $false }
        @{ Command = 'Set-VaultDefault -Name sp-vault'; NoChange = $true }
        @{ Command = "Set-VaultSecret -VaultName sp-vault -Name db -SecretValue 'v2'"; NoChange = $false }
        @{ Command = 'Update-VaultSecret -VaultName sp-vault -Name db -Enable $false'; NoChange = $false }
        @{ Command = 'Remove-VaultSecret -VaultName sp-vault -Name db'; NoChange = $false }
        @{ Command = 'Remove-VaultSecret -VaultName sp-vault -Name db -Force'; NoChange = $false }
        @{ Command = 'Remove-VaultSecret -VaultName sp-vault -Name gone -InRemovedState -Force'; NoChange = $false }
        @{ Command = 'Undo-VaultSecretRemoval -VaultName sp-vault -Name gone'; NoChange = $false }
        @{ Command = "Backup-VaultSecret -VaultName sp-vault -Name db -OutputFile (Join-Path `$env:VAULT_HOME 'db.blob')"; NoChange = $false }
        @{ Command = "Restore-VaultSecret -VaultName sp-vault -InputFile (Join-Path `$env:VAULT_HOME 'ready.blob')"; NoChange = $false }
        @{ Command = "Export-VaultAuditLog -VaultName sp-vault -Path (Join-Path `$env:VAULT_HOME 'audit.jsonl')"; NoChange = $false }
    )
}

Describe 'Vault ShouldProcess' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $manifest = $env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME

        # A fingerprint of everything the user could observe about their vaults.
        function Get-VaultState {
            $lines = @(
                Get-Vault | ForEach-Object { "$($_.VaultName)|$($_.IsDefault)|$($_.SoftDeleteRetentionInDays)|$($_.EnablePurgeProtection)" }
                Get-Vault | ForEach-Object { Get-VaultSecret -VaultName $_.VaultName -Name * } | ForEach-Object { "$($_.Name)|$($_.Version)|$($_.Enabled)|$($_.ContentType)" }
                Get-Vault | ForEach-Object { Get-VaultSecret -VaultName $_.VaultName -InRemovedState } | ForEach-Object { "deleted:$($_.Name)" }
                Get-ChildItem -Path $env:VAULT_HOME -Recurse -File -Name | Sort-Object
            )
            $lines -join "`n"
        }

        # Files some commands need: a copy of a vault to register, a backup of a purged secret to restore.
        function Initialize-CommandFiles {
            New-Vault src-vault -Path (Join-Path $env:VAULT_HOME 'copy.vault') | Out-Null
            Unregister-Vault src-vault
            Set-VaultSecret sp-vault ready 'r'
            Backup-VaultSecret sp-vault ready (Join-Path $env:VAULT_HOME 'ready.blob') | Out-Null
            Remove-VaultSecret sp-vault ready -Force
            Remove-VaultSecret sp-vault ready -InRemovedState -Force
        }

        # Runs a command line in a runspace of its own, with no host UI, and the module imported.
        # A confirmation prompt there becomes a HostFunctionNotImplemented (or ConfirmationNotPossible) error that quotes it.
        function Invoke-WithoutHost {
            param([Parameter(Mandatory)][string] $Script)
            $shell = [powershell]::Create()
            try {
                $null = $shell.AddScript("Import-Module '$($manifest.Replace("'", "''"))'; $Script")
                $output = $shell.Invoke()
                [pscustomobject]@{ Output = @($output); Errors = @($shell.Streams.Error) }
            }
            finally {
                $shell.Dispose()
            }
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'

        New-Vault sp-vault | Out-Null
        Set-VaultSecret sp-vault db 'v1'
        Set-VaultSecret sp-vault gone 'x'
        Remove-VaultSecret sp-vault gone -Force
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    Context '-WhatIf' {
        It '<Command> -WhatIf changes nothing and says what it would do' -ForEach $changes {
            Initialize-CommandFiles
            $before = Get-VaultState

            $whatIf = Invoke-WhatIf $Command
            $whatIf.Output | Should -BeNullOrEmpty
            $whatIf.Shown | Should -BeLikeExactly '*What if: Performing the operation*'
            Get-VaultState | Should -BeExactly $before
        }
    }

    Context '-Confirm' {
        It '<Command> -Confirm asks, and changes nothing when the question is not answered' -ForEach $changes {
            Initialize-CommandFiles
            $before = Get-VaultState

            $result = Invoke-WithoutHost "$Command -Confirm"

            $result.Errors | Should -HaveCount 1
            $result.Errors[0].FullyQualifiedErrorId | Should -MatchExactly '^(HostFunctionNotImplemented|ConfirmationNotPossible),Vault\.PowerShell\.Commands\.'
            $result.Errors[0].Exception.Message | Should -BeLikeExactly '*Performing the operation*'
            $result.Output | Should -BeNullOrEmpty
            Get-VaultState | Should -BeExactly $before
        }

        It '<Command> -Confirm:$false goes ahead without asking' -ForEach $changes {
            Initialize-CommandFiles
            $before = Get-VaultState

            $null = & ([scriptblock]::Create("$Command -Confirm:`$false"))

            if ($NoChange) {
                Get-VaultState | Should -BeExactly $before
            }
            else {
                Get-VaultState | Should -Not -BeExactly $before
            }
        }
    }

    It 'Remove-VaultSecret asks unless forced' {
        $asked = Invoke-WithoutHost 'Remove-VaultSecret sp-vault db'
        $asked.Errors | Should -HaveCount 1
        $asked.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'ConfirmationNotPossible,Vault.PowerShell.Commands.RemoveVaultSecretCommand'
        $asked.Errors[0].Exception.Message | Should -BeLikeExactly '*vault://sp-vault/secrets/db*Add -Force*'
        Get-VaultSecret sp-vault | Should -HaveCount 1

        # The xunit test answers "Yes" here; -Confirm:$false is that answer given in advance.
        Remove-VaultSecret sp-vault db -Confirm:$false
        Get-VaultSecret sp-vault | Should -BeNullOrEmpty

        Undo-VaultSecretRemoval sp-vault db | Out-Null
        $forced = Invoke-WithoutHost 'Remove-VaultSecret sp-vault db -Force'
        $forced.Errors | Should -BeNullOrEmpty -Because '-Force does not ask'
        Get-VaultSecret sp-vault | Should -BeNullOrEmpty

        Undo-VaultSecretRemoval sp-vault db | Out-Null
        Remove-VaultSecret sp-vault db -Force
        Get-VaultSecret sp-vault | Should -BeNullOrEmpty
    }

    It '-Force with an explicit -Confirm still asks' {
        $asked = Invoke-WithoutHost 'Remove-Vault sp-vault -Force -Confirm'
        $asked.Errors | Should -HaveCount 1
        $asked.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'ConfirmationNotPossible,Vault.PowerShell.Commands.RemoveVaultCommand'
        $asked.Errors[0].Exception.Message | Should -BeLikeExactly '*Leave out -Confirm*'
        Get-Vault | Should -HaveCount 1

        Remove-Vault sp-vault -Force -Confirm:$false
        Get-Vault | Should -BeNullOrEmpty
    }

    It '$WhatIfPreference is honoured even with -Force' {
        $WhatIfPreference = $true
        try {
            Remove-Vault sp-vault -Force
        }
        finally {
            $WhatIfPreference = $false
        }
        Get-Vault | Should -HaveCount 1
    }
}
