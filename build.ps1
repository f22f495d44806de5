#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests and packages the Vault module.

.DESCRIPTION
    Build    dotnet build Vault.sln: lays out the importable module at out/Vault/. Where the
             Microsoft.PowerShell.PlatyPS module is installed, docs/en-US/*.md also become MAML
             help (out/help/en-US), shipped in out/Vault/en-US so Get-Help shows examples.
    Test     dotnet test Vault.sln (core tests, hosted-runspace tests, separate-process scenarios
             and the Pester suite run in a pwsh stand-in); then, where Pester 5 is installed, the
             Pester suite again in this pwsh.
    Package  out/Vault.<version>.nupkg, as Publish-PSResource -NupkgPath takes it.

.EXAMPLE
    ./build.ps1                      # Build
    ./build.ps1 -Task Build, Test
    ./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Invoke-Dotnet {
    dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

function Build-Help {
    $platyPS = Get-Module -ListAvailable Microsoft.PowerShell.PlatyPS | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $platyPS) {
        Write-Warning 'Microsoft.PowerShell.PlatyPS is not installed: the module ships about_Vault and syntax-only help. Install-PSResource Microsoft.PowerShell.PlatyPS to build MAML.'
        return $false
    }

    Import-Module $platyPS
    $out = Join-Path $root 'out/help/en-US'
    $null = New-Item -ItemType Directory -Path $out -Force
    $commands = Get-ChildItem (Join-Path $root 'docs/en-US') -Filter '*-*.md' |
        ForEach-Object { Import-MarkdownCommandHelp -Path $_.FullName }
    $commands | Export-MamlCommandHelp -OutputFolder $out -Force | Out-Null
    # Export-MamlCommandHelp writes <out>/<Module>/<Module>-help.xml; the cmdlets' help file is named after their assembly.
    Get-ChildItem $out -Recurse -Filter '*.xml' |
        ForEach-Object { Move-Item $_.FullName (Join-Path $out 'Vault.PowerShell.dll-Help.xml') -Force }
    return $true
}

foreach ($step in $Task) {
    switch ($step) {
        'Build' {
            Invoke-Dotnet build (Join-Path $root 'Vault.sln') -c $Configuration
            if (Build-Help) {
                # The module layout picks up out/help/en-US on its next build.
                Invoke-Dotnet build (Join-Path $root 'src/Vault.PowerShell/Vault.PowerShell.csproj') -c $Configuration --no-dependencies
            }
        }
        'Test' {
            Invoke-Dotnet test (Join-Path $root 'Vault.sln') -c $Configuration
            if (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0') {
                $config = New-PesterConfiguration
                $config.Run.Path = Join-Path $root 'tests/pester'
                $config.Run.Exit = $false
                $config.Run.Throw = $true
                Invoke-Pester -Configuration $config
            }
        }
        'Package' {
            if (-not (Test-Path (Join-Path $root 'out/Vault/Vault.psd1'))) {
                Invoke-Dotnet build (Join-Path $root 'Vault.sln') -c $Configuration
            }
            Invoke-Dotnet pack (Join-Path $root 'build/Package/Vault.Package.csproj') -c $Configuration
            Get-ChildItem (Join-Path $root 'out') -Filter 'Vault.*.nupkg'
        }
    }
}
