#Requires -Version 7.6

<#
.SYNOPSIS
    Builds, tests, packages and installs the Vault module.

.DESCRIPTION
    The tasks run in the order given, each once per mention:

    Build    dotnet build Vault.sln -c <Configuration>: lays out the importable module at out/Vault/
             (Release) or out/<Configuration>/Vault/ (any other configuration).
    Test     dotnet test Vault.sln -c <Configuration>: the core tests, the cmdlets in hosted
             runspaces, and the scenarios and the Pester suite in separate processes of the real
             pwsh (the PowerShell tool pinned in .config/dotnet-tools.json).
    Package  out/Vault.<version>.nupkg, as Publish-PSResource -NupkgPath takes it. Always packs a
             Release build of this run: dotnet build Vault.sln -c Release (unless an earlier task of
             the run built Release), then dotnet pack -c Release, so a package never ships stale or
             Debug binaries. -Configuration does not apply to it.
    Install  Builds the module (Release unless -Configuration says otherwise; not with -NoBuild,
             nor when an earlier task of the run built it) and copies it to
             <modules folder>/Vault/<ModuleVersion>/, where the modules folder is the first entry of
             $env:PSModulePath (your own modules folder) or -Destination. A folder of that version
             already there is replaced entirely. An unversioned copy in that Vault folder
             (Vault/Vault.psd1 and its files, and a nested Vault/Vault/, as copying the module folder
             by hand leaves) is removed, and the script says so. Every other copy of Vault on
             $env:PSModulePath gets a warning that names it, its version and the copy that
             Import-Module Vault loads; so does a Vault imported in this session, which keeps its
             assembly until the session ends. Writes the installed folder.

    Task names are not case-sensitive. In pwsh, give several as an array (-Task Build, Test);
    through pwsh -File, as one comma-separated argument (-Task Build,Test), which arrives as one
    string and is split here.

.PARAMETER Task
    Build, Test, Package or Install; several as an array or comma-separated. Build by default.

.PARAMETER Configuration
    The configuration that Build and Test build and that Install installs: Release (the default) or
    Debug. Package always builds and packs Release.

.PARAMETER NoBuild
    Install only: install the module layout -Configuration already built, without building it.

.PARAMETER Destination
    Install only: the modules folder to install into (Vault/<version>/ is made inside it) instead of
    the first entry of $env:PSModulePath.

.EXAMPLE
    ./build.ps1

    Build: dotnet build Vault.sln -c Release, leaving the module at out/Vault/.

.EXAMPLE
    ./build.ps1 -Task Build, Test -Configuration Debug

    Builds Debug (out/Debug/Vault/) and runs every test against it.

.EXAMPLE
    dotnet pwsh -File build.ps1 -Task Build,Test

    The same through pwsh -File (here the pinned PowerShell tool), where the tasks are one
    comma-separated argument.

.EXAMPLE
    ./build.ps1 -Task Package

    Builds Release and writes out/Vault.<version>.nupkg; then, for example:
    Publish-PSResource -NupkgPath out/Vault.0.1.0.nupkg -Repository MyRepo

.EXAMPLE
    dotnet pwsh -File build.ps1 -Task Install

    Builds Release and installs it as <first entry of $env:PSModulePath>/Vault/<version>/ (on Linux
    ~/.local/share/powershell/Modules/Vault/0.1.0/). Run it again to update: a new version goes
    beside the old one (which Import-Module Vault then no longer picks), the same version is replaced.
    Start a new pwsh afterwards to use it.

.EXAMPLE
    ./build.ps1 -Task Install -Configuration Debug -NoBuild -Destination ./modules

    Installs the Debug layout already built (out/Debug/Vault/) as ./modules/Vault/<version>/.

.OUTPUTS
    Package: the nupkg (System.IO.FileInfo). Install: the installed version folder (System.IO.DirectoryInfo).
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0)]
    [ArgumentCompleter({
            param($commandName, $parameterName, $wordToComplete)
            'Build', 'Test', 'Package', 'Install' | Where-Object { $_ -like "$wordToComplete*" }
        })]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [switch] $NoBuild,

    [string] $Destination
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$tasks = 'Build', 'Test', 'Package', 'Install'

# Through pwsh -File, `-Task Build,Test` arrives as the one string 'Build,Test': split every element.
$steps = @(foreach ($element in $Task) {
        foreach ($name in $element -split ',') {
            $name = $name.Trim()
            if (-not $name) { continue }
            $known = $tasks -eq $name
            if (-not $known) {
                $PSCmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
                        [ArgumentException]::new("Unknown task '$name'. The tasks are $($tasks -join ', '): give several as -Task Build, Test in pwsh, or -Task Build,Test through pwsh -File."),
                        'UnknownTask', 'InvalidArgument', $name))
            }
            $known
        }
    })
if (-not $steps) {
    $PSCmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
            [ArgumentException]::new("No task given. The tasks are $($tasks -join ', ')."), 'NoTask', 'InvalidArgument', $null))
}
if (($NoBuild -or $Destination) -and $steps -notcontains 'Install') {
    $PSCmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
            [ArgumentException]::new('-NoBuild and -Destination apply to the Install task only.'), 'InstallParameterWithoutInstall', 'InvalidArgument', $null))
}

function Invoke-Dotnet {
    dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

# The configurations built in this run: a later task does not build the same one again.
$built = @{}
function Build-Solution([string] $BuildConfiguration) {
    if (-not $built[$BuildConfiguration]) {
        Invoke-Dotnet build (Join-Path $root 'Vault.sln') -c $BuildConfiguration
        $built[$BuildConfiguration] = $true
    }
}

# Where a configuration's build lays out the module (as Directory.Build.props says).
function Get-ModuleLayout([string] $BuildConfiguration) {
    if ($BuildConfiguration -eq 'Release') { Join-Path $root 'out/Vault' } else { Join-Path $root "out/$BuildConfiguration/Vault" }
}

$pathComparison = if ($IsWindows -or $IsMacOS) { [StringComparison]::OrdinalIgnoreCase } else { [StringComparison]::Ordinal }
function Get-FullPath([string] $Path) {
    [IO.Path]::TrimEndingDirectorySeparator([IO.Path]::GetFullPath($Path))
}
function Test-SamePath([string] $Left, [string] $Right) {
    [string]::Equals((Get-FullPath $Left), (Get-FullPath $Right), $pathComparison)
}

# $env:PSModulePath's folders in order, each once.
function Get-ModuleFolder {
    $seen = [Collections.Generic.List[string]]::new()
    foreach ($entry in $env:PSModulePath -split [IO.Path]::PathSeparator) {
        if (-not $entry.Trim()) { continue }
        $full = Get-FullPath $entry.Trim()
        if (-not ($seen | Where-Object { [string]::Equals($_, $full, $pathComparison) })) {
            $seen.Add($full)
            $full
        }
    }
}

function Get-ManifestVersion([string] $Manifest) {
    try { [string] (Import-PowerShellDataFile -LiteralPath $Manifest).ModuleVersion } catch { 'of unknown version' }
}

# The copies of Vault in one modules folder: its version folders, highest first (Import-Module Vault
# takes the highest), then an unversioned copy (Vault/Vault.psd1: loaded only where there is no version
# folder) and a nested one (Vault/Vault/Vault.psd1, what copying the folder twice leaves: never loaded by name).
function Get-VaultCopy([string] $ModuleFolder) {
    $folder = Join-Path $ModuleFolder 'Vault'
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) { return }
    Get-ChildItem -LiteralPath $folder -Directory |
        ForEach-Object {
            $version = $null
            if ([version]::TryParse($_.Name, [ref] $version) -and (Test-Path -LiteralPath (Join-Path $_.FullName 'Vault.psd1'))) {
                [pscustomobject]@{ Kind = 'version'; Version = $version; Path = $_.FullName; Folder = $ModuleFolder }
            }
        } |
        Sort-Object Version -Descending
    foreach ($kind in 'unversioned', 'nested') {
        $path = if ($kind -eq 'unversioned') { $folder } else { Join-Path $folder 'Vault' }
        $manifest = Join-Path $path 'Vault.psd1'
        if (Test-Path -LiteralPath $manifest -PathType Leaf) {
            [pscustomobject]@{ Kind = $kind; Version = (Get-ManifestVersion $manifest); Path = $path; Folder = $ModuleFolder }
        }
    }
}

function Install-VaultModule {
    $source = Get-ModuleLayout $Configuration
    if (-not $NoBuild) { Build-Solution $Configuration }
    $sourceManifest = Join-Path $source 'Vault.psd1'
    if (-not (Test-Path -LiteralPath $sourceManifest)) {
        throw "$sourceManifest is missing: build it first (dotnet build Vault.sln -c $Configuration), or leave out -NoBuild."
    }
    $version = [string] (Import-PowerShellDataFile -LiteralPath $sourceManifest).ModuleVersion

    $moduleFolder = if ($Destination) {
        Get-FullPath $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Destination)
    }
    else {
        Get-ModuleFolder | Select-Object -First 1
    }
    if (-not $moduleFolder) { throw '$env:PSModulePath is empty: give the modules folder to install into with -Destination.' }
    $vaultFolder = Join-Path $moduleFolder 'Vault'
    $target = Join-Path $vaultFolder $version
    $null = New-Item -ItemType Directory -Path $vaultFolder -Force

    # The copy is made beside the target first, so a failed copy changes nothing and the version
    # folder is replaced in one move.
    $staging = Join-Path $vaultFolder ".install-$([guid]::NewGuid().ToString('N'))"
    try {
        Copy-Item -LiteralPath $source -Destination $staging -Recurse

        # An unversioned copy here goes: only the names the module's own layout has, and the nested
        # copy, so nothing else in the folder is touched.
        $unversioned = @(Get-VaultCopy $moduleFolder | Where-Object Kind -ne 'version')
        $kinds = @($unversioned | ForEach-Object Kind)
        if ($kinds -contains 'unversioned') {
            foreach ($name in (Get-ChildItem -LiteralPath $source -Force).Name) {
                $path = Join-Path $vaultFolder $name
                if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Recurse -Force }
            }
        }
        if ($kinds -contains 'nested') { Remove-Item -LiteralPath (Join-Path $vaultFolder 'Vault') -Recurse -Force }
        foreach ($copy in $unversioned) {
            Write-Host "Removed the $($copy.Kind) copy of Vault $($copy.Version) at '$($copy.Path)', so that it cannot shadow the version folders."
        }

        if (Test-Path -LiteralPath $target) {
            try { Remove-Item -LiteralPath $target -Recurse -Force }
            catch { throw "Could not replace '$target': $($_.Exception.Message) Close every pwsh that has this Vault imported, and install again." }
        }
        Move-Item -LiteralPath $staging -Destination $target
    }
    finally {
        if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
    }

    $folders = @(Get-ModuleFolder)
    if (-not ($folders | Where-Object { Test-SamePath $_ $moduleFolder })) {
        Write-Warning "'$moduleFolder' is not on `$env:PSModulePath, so Import-Module Vault does not find this copy: import it as Import-Module '$(Join-Path $target 'Vault.psd1')', or add the folder to PSModulePath."
    }
    # Import-Module Vault takes the first folder on PSModulePath that has a copy, and there its highest version.
    $copies = @($folders | ForEach-Object { Get-VaultCopy $_ })
    $loads = $copies | Where-Object Kind -ne 'nested' | Select-Object -First 1
    foreach ($copy in $copies | Where-Object { -not (Test-SamePath $_.Path $target) }) {
        $remove = "Remove it unless you need it: Remove-Item -Recurse '$($copy.Path)'."
        if ([object]::ReferenceEquals($copy, $loads)) {
            $why = if (Test-SamePath $copy.Folder $moduleFolder) { 'it is a higher version' } else { "'$($copy.Folder)' comes before '$moduleFolder' on `$env:PSModulePath" }
            Write-Warning "Import-Module Vault loads Vault $($copy.Version) from '$($copy.Path)', not the Vault $version just installed at '$target': $why. $remove"
            continue
        }
        $what = switch ($copy.Kind) {
            'version' { "Vault $($copy.Version)" }
            'unversioned' { "An unversioned copy of Vault $($copy.Version)" }
            'nested' { "A nested copy of Vault $($copy.Version)" }
        }
        $loadsText = if (-not $loads) { 'no copy' } elseif (Test-SamePath $loads.Path $target) { "the copy just installed" } else { "Vault $($loads.Version) from '$($loads.Path)'" }
        Write-Warning "$what is also installed, at '$($copy.Path)'; Import-Module Vault loads $loadsText. $remove"
    }

    foreach ($module in Get-Module Vault) {
        Write-Warning "This session has Vault $($module.Version) imported from '$($module.ModuleBase)' and keeps that assembly until it ends (Import-Module -Force cannot replace it): start a new pwsh to use Vault $version."
    }

    Get-Item -LiteralPath $target
}

foreach ($step in $steps) {
    switch ($step) {
        'Build' {
            Build-Solution $Configuration
        }
        'Test' {
            Invoke-Dotnet test (Join-Path $root 'Vault.sln') -c $Configuration
            $built[$Configuration] = $true  # dotnet test built it
        }
        'Package' {
            Build-Solution 'Release'
            Invoke-Dotnet pack (Join-Path $root 'build/Package/Vault.Package.csproj') -c Release
            Get-Item -LiteralPath (Join-Path $root "out/Vault.$((Import-PowerShellDataFile -LiteralPath (Join-Path (Get-ModuleLayout 'Release') 'Vault.psd1')).ModuleVersion).nupkg")
        }
        'Install' {
            Install-VaultModule
        }
    }
}
