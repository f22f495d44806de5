# Shared by the Pester files: each test gets a fresh $env:VAULT_HOME, under the temp folder rather
# than $TestDrive (the module keeps vault files open for the life of the process, and on Windows
# Pester could not remove a TestDrive holding them).

function Enter-VaultTestHome {
    $path = Join-Path ([IO.Path]::GetTempPath()) "vault-pester/$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $path -Force
    $env:VAULT_HOME = $path
    $path
}

function Exit-VaultTestHome([string] $Path) {
    Remove-Item -LiteralPath $Path -Recurse -Force -ErrorAction SilentlyContinue
}
