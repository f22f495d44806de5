#Requires -Version 7.6
# Pester 5 tests: docs/quickstart.ps1 runs as a user runs it, in a pwsh of its own with a fresh
# VAULT_HOME. It makes the vault sans-creditunion-vault if missing, stores a connection string as the
# secret Database, lists the secrets and shows the value.

Describe 'docs/quickstart.ps1' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $repoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
        $quickstart = Join-Path $repoRoot 'docs/quickstart.ps1'
        # The build's module (out/Vault, or out/<Configuration>/Vault): the quick start imports it,
        # and its parent is on the child's PSModulePath so `Import-Module Vault` (or autoloading)
        # finds this build, as it would find an installed module.
        $manifest = [IO.Path]::GetFullPath(($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')))
        $moduleRoot = Split-Path (Split-Path $manifest)
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME

        # The pwsh running these tests: its executable, or (for pwsh run as `dotnet pwsh.dll`, as the
        # xunit tests run the PowerShell tool) dotnet with that dll first.
        $pwsh = [Environment]::ProcessPath
        $pwshPrefix = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') {
            $pwshPrefix = @([Environment]::GetCommandLineArgs()[0])
        }

        # Runs the quick start in a child pwsh: VAULT_HOME is this test's, nothing else of this session.
        function Invoke-QuickStart {
            $info = [Diagnostics.ProcessStartInfo]::new($pwsh)
            foreach ($argument in @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', $quickstart, '-ModulePath', $manifest)) {
                $info.ArgumentList.Add($argument)
            }
            $info.WorkingDirectory = $repoRoot
            $info.UseShellExecute = $false
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.Environment['VAULT_HOME'] = $env:VAULT_HOME
            $info.Environment['PSModulePath'] = $moduleRoot + [IO.Path]::PathSeparator + $env:PSModulePath
            $info.Environment['NO_COLOR'] = '1'

            $process = [Diagnostics.Process]::Start($info)
            try {
                $stdout = $process.StandardOutput.ReadToEndAsync()
                $stderr = $process.StandardError.ReadToEndAsync()
                if (-not $process.WaitForExit(120000)) {
                    $process.Kill($true)
                    throw "docs/quickstart.ps1 did not finish in two minutes."
                }
                $process.WaitForExit()
                [pscustomobject]@{ ExitCode = $process.ExitCode; Stdout = $stdout.Result; Stderr = $stderr.Result }
            }
            finally {
                $process.Dispose()
            }
        }
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

    It 'is there' {
        $quickstart | Should -Exist
    }

    It 'exits without error, and the connection string it stores round-trips' {
        $run = Invoke-QuickStart
        $run.ExitCode | Should -Be 0 -Because "the script must succeed; it wrote: $($run.Stderr)"
        $run.Stderr | Should -BeNullOrEmpty

        (Get-Vault).VaultName | Should -Contain 'sans-creditunion-vault'
        $names = (Get-VaultSecret -VaultName sans-creditunion-vault).Name
        $names | Should -Contain 'Database'

        $value = Get-VaultSecret -VaultName sans-creditunion-vault -Name Database -AsPlainText
        $value | Should -Not -BeNullOrEmpty
        $value | Should -Match '=.*;|;.*=' -Because 'it is a connection string (key=value pairs separated by semicolons)'
        # What the script stored is what it showed, and what this session reads back.
        $run.Stdout.Contains($value) | Should -BeTrue -Because "the script shows the value; it printed: $($run.Stdout)"
        $run.Stdout.Contains('Database') | Should -BeTrue -Because 'the script lists the secrets'
    }

    It 'runs again on the vault it made: the vault is created only if missing' {
        $first = Invoke-QuickStart
        $first.ExitCode | Should -Be 0 -Because "the first run must succeed; it wrote: $($first.Stderr)"
        $value = Get-VaultSecret -VaultName sans-creditunion-vault -Name Database -AsPlainText

        $second = Invoke-QuickStart
        $second.ExitCode | Should -Be 0 -Because "the second run must succeed; it wrote: $($second.Stderr)"
        $second.Stderr | Should -BeNullOrEmpty

        Get-Vault -Name sans-creditunion-vault | Should -HaveCount 1
        Get-VaultSecret -VaultName sans-creditunion-vault -Name Database -AsPlainText | Should -BeExactly $value
        $second.Stdout.Contains($value) | Should -BeTrue -Because "the script shows the value; it printed: $($second.Stdout)"
    }
}
