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

# Runs a command line with -WhatIf under a transcript, outside VAULT_HOME so that the transcript is
# no part of the vault's state. Returns what the command wrote to the pipeline and what the host showed.
function Invoke-WhatIf([string] $Command) {
    $transcript = Join-Path ([IO.Path]::GetTempPath()) "vault-whatif-$([guid]::NewGuid().ToString('N')).txt"
    Start-Transcript -LiteralPath $transcript -UseMinimalHeader | Out-Null
    try {
        $output = & ([scriptblock]::Create("$Command -WhatIf"))
    }
    finally {
        Stop-Transcript | Out-Null
    }

    $shown = Get-Content -LiteralPath $transcript -Raw
    Remove-Item -LiteralPath $transcript -Force
    [pscustomobject]@{ Output = $output; Shown = $shown }
}
