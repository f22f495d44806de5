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

# Runs SQL on a vault file, as someone with the file would, and returns the first column of each row
# (none for a statement that returns no rows). pwsh has no SQLite of its own, so this
# borrows Microsoft.Data.Sqlite (and its native library, already resolved) from the module's
# private load context: open a vault first.
function Invoke-VaultSql {
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $Sql)
    $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'Vault' | Select-Object -First 1
    $sqlite = $context.Assemblies | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' } | Select-Object -First 1
    if (-not $sqlite) {
        throw "Microsoft.Data.Sqlite is not loaded in the module's load context; open a vault first."
    }
    $builder = [Activator]::CreateInstance($sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnectionStringBuilder', $true))
    $builder.DataSource = $Path
    $builder.Pooling = $false
    $connection = [Activator]::CreateInstance($sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnection', $true), [object[]]@($builder.ToString()))
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        $reader = $command.ExecuteReader()
        try {
            while ($reader.Read()) {
                $value = $reader.GetValue(0)
                if ($value -is [DBNull]) { $null } else { $value }
            }
        }
        finally {
            $reader.Dispose()
        }
    }
    finally {
        $connection.Dispose()
    }
}
