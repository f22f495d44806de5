#Requires -Version 7.6
# Pester 5 tests: role-based access control as a user meets it: who Vault sees (Get-VaultContext),
# the built-in and custom roles, scoped assignments, group assignments, Test-VaultAccess, and what
# every built-in role may and may not do, through the commands a user types.
#
# There is no identity override in the module: the caller is the operating-system account running
# the tests (root in CI). To see a denial in this one process, a test lowers its own rights: it makes
# the vault (and so is its Vault Administrator), makes another principal (uid:99999) Administrator at
# /, gives itself the role under test, and then removes its own Administrator assignment
# (Limit-MyAccess). Each test has a fresh VAULT_HOME, so the next test starts as Administrator again.
#
# Conventions as in Vault.Tests.ps1: $ErrorActionPreference is 'Stop'; an error is asserted by its
# fully qualified id with Should -Throw -ErrorId '<Id>,Vault.PowerShell.Commands.<Cmdlet>Command'; and
# whether it is terminating by running the command again with -ErrorAction SilentlyContinue.

BeforeDiscovery {
    # The commands of the role matrix: each needs one action (VaultActions.Operations) at one scope.
    # Each works on an item of its own, so their order does not matter.
    $operations = @(
        @{ Key = 'GetSecretValue'; Command = 'Get-VaultSecret rbac-vault db -AsPlainText'; Action = 'Vault/secrets/getSecret/action'; Scope = '/secrets/db' }
        @{ Key = 'ListSecrets'; Command = 'Get-VaultSecret rbac-vault'; Action = 'Vault/secrets/readMetadata/action'; Scope = '/' }
        @{ Key = 'SetSecret'; Command = "Set-VaultSecret rbac-vault db 'v2'"; Action = 'Vault/secrets/setSecret/action'; Scope = '/secrets/db' }
        @{ Key = 'UpdateSecret'; Command = "Update-VaultSecret rbac-vault db -ContentType 'text/plain'"; Action = 'Vault/secrets/update/action'; Scope = '/secrets/db' }
        @{ Key = 'RemoveSecret'; Command = 'Remove-VaultSecret rbac-vault doomed -Force'; Action = 'Vault/secrets/delete/action'; Scope = '/secrets/doomed' }
        @{ Key = 'UndoRemoval'; Command = 'Undo-VaultSecretRemoval rbac-vault gone'; Action = 'Vault/secrets/recover/action'; Scope = '/secrets/gone' }
        @{ Key = 'PurgeSecret'; Command = 'Remove-VaultSecret rbac-vault purged -InRemovedState -Force'; Action = 'Vault/secrets/purge/action'; Scope = '/secrets/purged' }
        @{ Key = 'BackupSecret'; Command = "Backup-VaultSecret rbac-vault db (Join-Path `$env:VAULT_HOME 'db.blob')"; Action = 'Vault/secrets/backup/action'; Scope = '/secrets/db' }
        @{ Key = 'RestoreSecret'; Command = "Restore-VaultSecret rbac-vault (Join-Path `$env:VAULT_HOME 'kept.blob')"; Action = 'Vault/secrets/restore/action'; Scope = '/secrets/kept' }
        @{ Key = 'RotateKey'; Command = 'Invoke-VaultKeyRotation rbac-vault -Force'; Action = 'Vault/keyring/rotate/action'; Scope = '/' }
        @{ Key = 'ExportKeyring'; Command = "Export-VaultKeyring rbac-vault (Join-Path `$env:VAULT_HOME 'keyring.bin') -Password `$password"; Action = 'Vault/keyring/export/action'; Scope = '/' }
        @{ Key = 'GetRoleAssignment'; Command = 'Get-VaultRoleAssignment rbac-vault'; Action = 'Vault/roleAssignments/read/action'; Scope = '/' }
        @{ Key = 'NewRoleAssignment'; Command = "New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId uid:88888"; Action = 'Vault/roleAssignments/write/action'; Scope = '/' }
        @{ Key = 'GetVault'; Command = 'Get-Vault rbac-vault'; Action = 'Vault/vault/read/action'; Scope = '/' }
        @{ Key = 'UpdateVault'; Command = 'Update-Vault rbac-vault -SoftDeleteRetentionInDays 30'; Action = 'Vault/vault/write/action'; Scope = '/' }
    )

    # What each built-in role, held alone at /, lets its holder do: read off BuiltInRoles.cs (the role's
    # DataActions minus its NotDataActions) and VaultActions.Operations (the action each command needs).
    #   yes    the command succeeds
    #   denied it fails with AccessDenied
    #   hidden (a listing) it succeeds and shows nothing: listings are filtered, never refused
    $expected = @'
Operation          Administrator SecretsOfficer SecretsUser Reader CryptoOfficer CryptoUser AuditReader
GetSecretValue     yes           yes            yes         denied denied        denied     denied
ListSecrets        yes           yes            yes         yes    hidden        hidden     hidden
SetSecret          yes           yes            denied      denied denied        denied     denied
UpdateSecret       yes           yes            denied      denied denied        denied     denied
RemoveSecret       yes           yes            denied      denied denied        denied     denied
UndoRemoval        yes           yes            denied      denied denied        denied     denied
PurgeSecret        yes           yes            denied      denied denied        denied     denied
BackupSecret       yes           yes            denied      denied denied        denied     denied
RestoreSecret      yes           yes            denied      denied denied        denied     denied
RotateKey          yes           denied         denied      denied yes           denied     denied
ExportKeyring      yes           denied         denied      denied yes           denied     denied
GetRoleAssignment  yes           denied         denied      yes    denied        denied     denied
NewRoleAssignment  yes           denied         denied      denied denied        denied     denied
GetVault           yes           yes            yes         yes    yes           yes        yes
UpdateVault        yes           denied         denied      denied denied        denied     denied
'@
    $roleNames = @{
        Administrator  = 'Vault Administrator'
        SecretsOfficer = 'Vault Secrets Officer'
        SecretsUser    = 'Vault Secrets User'
        Reader         = 'Vault Reader'
        CryptoOfficer  = 'Vault Crypto Officer'
        CryptoUser     = 'Vault Crypto User'
        AuditReader    = 'Vault Audit Reader'
    }
    $lines = @($expected -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    $columns = $lines[0] -split '\s+'
    $roleCases = for ($c = 1; $c -lt $columns.Count; $c++) {
        $outcomes = [ordered]@{}
        foreach ($line in $lines | Select-Object -Skip 1) {
            $cells = $line -split '\s+'
            $outcomes[$cells[0]] = $cells[$c]
        }
        @{ Role = $roleNames[$columns[$c]]; Expected = $outcomes; Operations = $operations }
    }

    # Every command of the matrix has its expectation, and every expectation its command.
    if ((@($operations.Key) -join ',') -ne (@($roleCases[0].Expected.Keys) -join ',')) {
        throw 'The role matrix and its list of commands disagree.'
    }
}

Describe 'Vault role-based access control' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        Import-Module ($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')) -Force
        $previousVaultHome = $env:VAULT_HOME
        $administrator = 'Vault Administrator'
        $password = ConvertTo-SecureString 'correct horse battery staple' -AsPlainText -Force

        # Leaves the caller with only $Role at $Scope (or with no role at all): another principal
        # becomes Administrator at /, so that the caller's own Administrator assignment can go.
        function Limit-MyAccess {
            param([string] $Role, [string] $Scope = '/', [string] $VaultName = 'rbac-vault')
            $me = Get-VaultContext
            $null = New-VaultRoleAssignment $VaultName -RoleDefinitionName $administrator -PrincipalId 'uid:99999'
            if ($Role) {
                $null = New-VaultRoleAssignment $VaultName -RoleDefinitionName $Role -PrincipalName $me.PrincipalName -Scope $Scope
            }
            Get-VaultRoleAssignment $VaultName -PrincipalName $me.PrincipalName -RoleDefinitionName $administrator | Remove-VaultRoleAssignment -Force
        }

        # Asserts that a command line fails with AccessDenied from <Cmdlet>: a PermissionDenied error
        # about the scope, non-terminating. Returns the error record.
        function Assert-AccessDenied {
            param([Parameter(Mandatory)][string] $Command, [Parameter(Mandatory)][string] $Scope)
            $cmdlet = ($Command -split ' ')[0].Replace('-', '')
            $stopping = [scriptblock]::Create("$Command -ErrorAction Stop")
            $err = { & $stopping } | Should -Throw -ErrorId "AccessDenied,Vault.PowerShell.Commands.$($cmdlet)Command" -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::PermissionDenied)
            $err.TargetObject | Should -BeExactly $Scope
            $tolerant = [scriptblock]::Create("$Command -ErrorAction SilentlyContinue")
            { & $tolerant } | Should -Not -Throw -Because 'AccessDenied is a non-terminating error: it is written and the pipeline goes on'
            $err
        }

        # A fingerprint of everything in the vault file (read with SQLite, which needs no role) and
        # of the files in VAULT_HOME: a refused command must change none of it.
        function Get-VaultFileState {
            param([string] $VaultName = 'rbac-vault')
            $path = Join-Path $env:VAULT_HOME "vaults/$VaultName.vault"
            $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'Vault' | Select-Object -First 1
            $sqlite = $context.Assemblies | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' } | Select-Object -First 1
            $builder = [Activator]::CreateInstance($sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnectionStringBuilder', $true))
            $builder.DataSource = $path
            $builder.Mode = 'ReadOnly'
            $builder.Pooling = $false
            $connection = [Activator]::CreateInstance($sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnection', $true), [object[]]@($builder.ToString()))
            try {
                $connection.Open()
                $rows = foreach ($sql in @(
                        'SELECT soft_delete_retention_days, purge_protection, key_protector, rbac_version FROM vault;'
                        'SELECT term, hex(wrapped_key) FROM keyring ORDER BY term;'
                        'SELECT s.name, s.deleted, s.scheduled_purge, v.version, v.updated, v.enabled, v.content_type, v.tags, v.term, hex(v.value) FROM secret s LEFT JOIN secret_version v ON v.secret_id = s.secret_id ORDER BY s.name, v.seq;'
                        'SELECT name, description, data_actions, not_data_actions FROM role_definition ORDER BY name;'
                        'SELECT principal_id, principal_type, role_definition_id, scope FROM role_assignment ORDER BY principal_id, role_definition_id, scope;'
                    )) {
                    $command = $connection.CreateCommand()
                    $command.CommandText = $sql
                    $reader = $command.ExecuteReader()
                    try {
                        while ($reader.Read()) {
                            (0..($reader.FieldCount - 1) | ForEach-Object { $reader.GetValue($_) }) -join '|'
                        }
                    }
                    finally {
                        $reader.Dispose()
                        $command.Dispose()
                    }
                }
            }
            finally {
                $connection.Dispose()
            }
            @($rows) + @(Get-ChildItem -LiteralPath $env:VAULT_HOME -Recurse -File -Name | Sort-Object) -join "`n"
        }

        # Writes a role definition file in the shape Azure uses, and returns its path.
        function New-RoleFile {
            param([Parameter(Mandatory)][hashtable] $Definition)
            $path = Join-Path $TestDrive "role-$([guid]::NewGuid().ToString('N')).json"
            $Definition | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $path -Encoding utf8NoBOM
            $path
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'
        $me = Get-VaultContext
        New-Vault rbac-vault | Out-Null
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    Context 'who Vault sees' {
        It 'Get-VaultContext shows the operating-system account, its groups, the default vault and the home' {
            $context = Get-VaultContext
            $context | Should -HaveCount 1
            $context.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultContext'
            $context.Authentication | Should -BeExactly 'OperatingSystem'
            if ($IsWindows) {
                $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
                $context.PrincipalId | Should -BeExactly $identity.User.Value
                $context.PrincipalName | Should -BeExactly $identity.Name
            }
            else {
                $context.PrincipalId | Should -BeExactly "uid:$(id -u)"
                $context.PrincipalName | Should -BeExactly (id -un)
                $context.Groups | Should -Contain "$(id -gn) (gid:$(id -g))"
                foreach ($gid in (id -G) -split ' ') {
                    $context.Groups | Where-Object { $_.EndsWith("(gid:$gid)") } | Should -HaveCount 1 -Because "group $gid is one of the caller's groups"
                }
            }
            $context.Groups.Count | Should -BeGreaterOrEqual 1
            $context.DefaultVault | Should -BeExactly 'rbac-vault'
            $context.VaultHome | Should -BeExactly ([IO.Path]::GetFullPath($VaultHome))

            New-Vault other-vault | Out-Null
            Set-VaultDefault other-vault
            (Get-VaultContext).DefaultVault | Should -BeExactly 'other-vault'
        }

        It 'the creator of a vault is its Vault Administrator at /' {
            $assignments = @(Get-VaultRoleAssignment rbac-vault)
            $assignments | Should -HaveCount 1
            $assignments[0].PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultRoleAssignment'
            $assignments[0].VaultName | Should -BeExactly 'rbac-vault'
            $assignments[0].PrincipalId | Should -BeExactly $me.PrincipalId
            $assignments[0].PrincipalName | Should -BeExactly $me.PrincipalName
            $assignments[0].PrincipalType | Should -Be 'User'
            $assignments[0].RoleDefinitionName | Should -BeExactly 'Vault Administrator'
            $assignments[0].RoleDefinitionId | Should -Be ([guid]'00000000-0000-4000-a000-000000000001')
            $assignments[0].Scope | Should -BeExactly '/'

            # The filters find it by name, by id, by role and by scope.
            Get-VaultRoleAssignment rbac-vault -PrincipalName $me.PrincipalName | Should -HaveCount 1
            Get-VaultRoleAssignment rbac-vault -PrincipalId $me.PrincipalId | Should -HaveCount 1
            Get-VaultRoleAssignment rbac-vault -RoleDefinitionName 'vault administrator' -Scope '/' | Should -HaveCount 1
            Get-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' | Should -BeNullOrEmpty

            $decision = Test-VaultAccess rbac-vault -Action 'Vault/keyring/export/action'
            $decision.Allowed | Should -BeTrue
            $decision.GrantedBy | Should -BeExactly 'Vault Administrator at /'
        }
    }

    Context 'role definitions' {
        It 'the seven built-in roles exist in every vault, and cannot be removed' {
            $roles = @(Get-VaultRoleDefinition rbac-vault)
            $roles.Name | Should -BeExactly @(
                'Vault Administrator', 'Vault Secrets Officer', 'Vault Secrets User', 'Vault Reader',
                'Vault Crypto Officer', 'Vault Crypto User', 'Vault Audit Reader')
            foreach ($role in $roles) {
                $role.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultRoleDefinition'
                $role.IsBuiltIn | Should -BeTrue -Because "$($role.Name) is built in"
                $role.VaultName | Should -BeExactly 'rbac-vault'
                $role.Description | Should -Not -BeNullOrEmpty
                $role.DataActions | Should -Not -BeNullOrEmpty
            }
            $roles.Id | Should -Be @(1..7 | ForEach-Object { [guid]"00000000-0000-4000-a000-00000000000$_" })

            $reader = Get-VaultRoleDefinition rbac-vault 'Vault Reader'
            $reader.DataActions | Should -BeExactly @('Vault/*/read/action', 'Vault/secrets/readMetadata/action')
            $reader.NotDataActions | Should -BeExactly @('Vault/secrets/getSecret/action', 'Vault/audit/read/action')
            (Get-VaultRoleDefinition rbac-vault 'Vault Secrets*').Name | Should -BeExactly @('Vault Secrets Officer', 'Vault Secrets User')

            # Another vault has the same built-in roles, with the same ids.
            New-Vault other-vault | Out-Null
            (Get-VaultRoleDefinition other-vault).Id | Should -Be $roles.Id

            foreach ($name in 'Vault Reader', 'vault administrator') {
                $err = { Remove-VaultRoleDefinition rbac-vault $name -Force -ErrorAction Stop } |
                    Should -Throw -ErrorId 'BuiltInRoleReadOnly,Vault.PowerShell.Commands.RemoveVaultRoleDefinitionCommand' -PassThru
                $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
                $err.Exception.Message | Should -BeLikeExactly '*built-in role*'
                { Remove-VaultRoleDefinition rbac-vault $name -Force -ErrorAction SilentlyContinue } |
                    Should -Not -Throw -Because 'BuiltInRoleReadOnly is non-terminating'
            }
            $err.TargetObject | Should -BeExactly 'Vault Administrator' -Because 'the error names the role as it is spelt'
            Get-VaultRoleDefinition rbac-vault | Should -HaveCount 7
        }

        It 'a custom role from -DataActions and -NotDataActions grants what it says and nothing else' {
            $role = New-VaultRoleDefinition rbac-vault -Name 'App Secret Reader' -Description 'Reads app secrets; sees the vault, never changes it.' `
                -DataActions 'Vault/secrets/getSecret/action', 'Vault/secrets/readMetadata/action', 'Vault/vault/*' `
                -NotDataActions 'Vault/vault/write/action', 'Vault/vault/delete/action'
            $role | Should -HaveCount 1
            $role.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultRoleDefinition'
            $role.Name | Should -BeExactly 'App Secret Reader'
            $role.IsBuiltIn | Should -BeFalse
            $role.Id | Should -Not -Be ([guid]::Empty)
            $role.DataActions | Should -BeExactly @('Vault/secrets/getSecret/action', 'Vault/secrets/readMetadata/action', 'Vault/vault/*')
            $role.NotDataActions | Should -BeExactly @('Vault/vault/write/action', 'Vault/vault/delete/action')
            (Get-VaultRoleDefinition rbac-vault 'App Secret Reader').Id | Should -Be $role.Id
            Get-VaultRoleDefinition rbac-vault | Should -HaveCount 8

            Set-VaultSecret rbac-vault db 'v1'
            Limit-MyAccess -Role 'App Secret Reader'

            Get-VaultSecret rbac-vault db -AsPlainText | Should -BeExactly 'v1'
            (Get-VaultSecret rbac-vault).Name | Should -BeExactly @('db')
            (Get-Vault rbac-vault).VaultName | Should -BeExactly 'rbac-vault'
            $null = Assert-AccessDenied -Command 'Update-Vault rbac-vault -SoftDeleteRetentionInDays 30' -Scope '/'
            $null = Assert-AccessDenied -Command "Set-VaultSecret rbac-vault db 'v2'" -Scope '/secrets/db'

            $excluded = Test-VaultAccess rbac-vault -Action 'Vault/vault/write/action'
            $excluded.Allowed | Should -BeFalse
            $excluded.Reason | Should -BeLikeExactly '*App Secret Reader excludes Vault/vault/write/action (NotDataActions)*'
            $granted = Test-VaultAccess rbac-vault -Action 'Vault/vault/read/action'
            $granted.Allowed | Should -BeTrue
            $granted.GrantedBy | Should -BeExactly 'App Secret Reader at /'
        }

        It 'a custom role from an Azure-shaped JSON file (-InputFile)' {
            $file = New-RoleFile @{
                Name             = 'Secrets Keeper'
                Description      = 'Everything on secrets but purging them.'
                IsCustom         = $true
                DataActions      = @('Vault/secrets/*')
                NotDataActions   = @('Vault/secrets/purge/action')
                AssignableScopes = @('/')
            }
            $role = New-VaultRoleDefinition rbac-vault -InputFile $file
            $role.Name | Should -BeExactly 'Secrets Keeper'
            $role.Description | Should -BeExactly 'Everything on secrets but purging them.'
            $role.DataActions | Should -BeExactly @('Vault/secrets/*')
            $role.NotDataActions | Should -BeExactly @('Vault/secrets/purge/action')
            $role.IsBuiltIn | Should -BeFalse
            (Get-VaultRoleDefinition rbac-vault 'Secrets Keeper').Id | Should -Be $role.Id

            # What it grants, asked about a principal that holds it.
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Secrets Keeper' -PrincipalId 'uid:99998'
            $delete = Test-VaultAccess rbac-vault -PrincipalId 'uid:99998' -Action 'Vault/secrets/delete/action' -Scope '/secrets/db'
            $delete.Allowed | Should -BeTrue
            $delete.GrantedBy | Should -BeExactly 'Secrets Keeper at /'
            $purge = Test-VaultAccess rbac-vault -PrincipalId 'uid:99998' -Action 'Vault/secrets/purge/action' -Scope '/secrets/db'
            $purge.Allowed | Should -BeFalse
            $purge.Reason | Should -BeLikeExactly '*Secrets Keeper excludes Vault/secrets/purge/action (NotDataActions)*'
        }

        It 'a role file with Actions, or an action Vault does not know, is InvalidRoleDefinition' {
            $before = Get-VaultFileState

            $withActions = New-RoleFile @{ Name = 'Azure Role'; Actions = @('Microsoft.KeyVault/vaults/read'); DataActions = @('Vault/secrets/getSecret/action') }
            $err = { New-VaultRoleDefinition rbac-vault -InputFile $withActions -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidRoleDefinition,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
            $err.TargetObject | Should -BeExactly $withActions
            $err.Exception.Message | Should -BeLikeExactly '*Actions and NotActions*'
            { New-VaultRoleDefinition rbac-vault -InputFile $withActions -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidRoleDefinition,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand' -Because 'InvalidRoleDefinition is terminating'

            $err = { New-VaultRoleDefinition rbac-vault -Name 'Frobnicator' -DataActions 'Vault/secrets/frobnicate/action' -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidRoleDefinition,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand' -PassThru
            $err.TargetObject | Should -BeExactly 'Frobnicator'
            $err.Exception.Message | Should -BeLikeExactly "*'Vault/secrets/frobnicate/action' names no Vault action*"
            { New-VaultRoleDefinition rbac-vault -Name 'Frobnicator' -DataActions 'Vault/secrets/frobnicate/action' -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidRoleDefinition,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand' -Because 'InvalidRoleDefinition is terminating'

            # An unknown action in a file, or among NotDataActions, is refused the same way.
            $unknownInFile = New-RoleFile @{ Name = 'File Role'; DataActions = @('Vault/secrets/*'); NotDataActions = @('Vault/nothing/here') }
            { New-VaultRoleDefinition rbac-vault -InputFile $unknownInFile -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidRoleDefinition,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand'

            Get-VaultFileState | Should -BeExactly $before
            Get-VaultRoleDefinition rbac-vault | Should -HaveCount 7
        }

        It 'a role name that exists, custom or built in, is RoleDefinitionExists' {
            $null = New-VaultRoleDefinition rbac-vault -Name 'App Secret Reader' -DataActions 'Vault/secrets/getSecret/action'
            foreach ($name in 'app secret reader', 'Vault Reader') {
                $err = { New-VaultRoleDefinition rbac-vault -Name $name -DataActions 'Vault/secrets/readMetadata/action' -ErrorAction Stop } |
                    Should -Throw -ErrorId 'RoleDefinitionExists,Vault.PowerShell.Commands.NewVaultRoleDefinitionCommand' -PassThru
                $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
                $err.TargetObject | Should -BeExactly $name
                { New-VaultRoleDefinition rbac-vault -Name $name -DataActions 'Vault/secrets/readMetadata/action' -ErrorAction SilentlyContinue } |
                    Should -Not -Throw -Because 'RoleDefinitionExists is non-terminating'
            }
            (Get-VaultRoleDefinition rbac-vault 'App Secret Reader').DataActions | Should -BeExactly @('Vault/secrets/getSecret/action')
            Get-VaultRoleDefinition rbac-vault | Should -HaveCount 8
        }

        It 'a custom role in use is RoleDefinitionInUse; once unassigned it can be removed' {
            $null = New-VaultRoleDefinition rbac-vault -Name 'App Secret Reader' -DataActions 'Vault/secrets/getSecret/action'
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'App Secret Reader' -PrincipalId 'uid:99998' -Scope '/secrets/app1-*'

            $err = { Remove-VaultRoleDefinition rbac-vault 'App Secret Reader' -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'RoleDefinitionInUse,Vault.PowerShell.Commands.RemoveVaultRoleDefinitionCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
            $err.TargetObject | Should -BeExactly 'App Secret Reader'
            $err.Exception.Message | Should -BeLikeExactly '*assigned 1 time(s)*'
            { Remove-VaultRoleDefinition rbac-vault 'App Secret Reader' -Force -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'RoleDefinitionInUse is non-terminating'
            Get-VaultRoleDefinition rbac-vault 'App Secret Reader' | Should -HaveCount 1

            # The way the message suggests.
            Get-VaultRoleAssignment rbac-vault -RoleDefinitionName 'App Secret Reader' | Remove-VaultRoleAssignment -Force
            Remove-VaultRoleDefinition rbac-vault 'App Secret Reader' -Force | Should -BeNullOrEmpty
            Get-VaultRoleDefinition rbac-vault | Should -HaveCount 7
            { Get-VaultRoleDefinition rbac-vault 'App Secret Reader' -ErrorAction Stop } |
                Should -Throw -ErrorId 'RoleDefinitionNotFound,Vault.PowerShell.Commands.GetVaultRoleDefinitionCommand'
            { Remove-VaultRoleDefinition rbac-vault 'App Secret Reader' -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'RoleDefinitionNotFound,Vault.PowerShell.Commands.RemoveVaultRoleDefinitionCommand'
        }
    }

    Context 'what each built-in role may do' {
        It "with only '<Role>' at /, each command succeeds or is AccessDenied as the role says" -TestCases $roleCases {
            # Everything the commands work on, made while still Administrator.
            Set-VaultSecret rbac-vault db 'v1'
            Set-VaultSecret rbac-vault doomed 'x'
            Set-VaultSecret rbac-vault gone 'x'
            Remove-VaultSecret rbac-vault gone -Force
            Set-VaultSecret rbac-vault purged 'x'
            Remove-VaultSecret rbac-vault purged -Force
            Set-VaultSecret rbac-vault kept 'k'
            $null = Backup-VaultSecret rbac-vault kept (Join-Path $env:VAULT_HOME 'kept.blob')
            Remove-VaultSecret rbac-vault kept -Force
            Remove-VaultSecret rbac-vault kept -InRemovedState -Force

            if ($Role -ne $administrator) {
                Limit-MyAccess -Role $Role
            }
            $mine = @(Get-VaultRoleAssignment rbac-vault -PrincipalName $me.PrincipalName -ErrorAction SilentlyContinue)
            if ($Role -in 'Vault Administrator', 'Vault Reader') {
                # Those two may read assignments: the caller holds the one role under test, nothing else.
                $mine.RoleDefinitionName | Should -BeExactly @($Role)
                $mine.Scope | Should -BeExactly @('/')
            }

            $actual = [ordered]@{}
            $decided = [ordered]@{}
            $denials = @()
            foreach ($operation in $Operations) {
                # Test-VaultAccess about oneself needs no role: it must agree with what the command does.
                $decided[$operation.Key] = if ((Test-VaultAccess rbac-vault -Action $operation.Action -Scope $operation.Scope).Allowed) { 'yes' } else { 'no' }

                $before = Get-VaultFileState
                $stopping = [scriptblock]::Create("$($operation.Command) -ErrorAction Stop")
                try {
                    $output = @(& $stopping)
                    $actual[$operation.Key] = if ($operation.Key -ne 'ListSecrets') { 'yes' } elseif ($output.Name -contains 'db') { 'yes' } elseif ($output.Count -eq 0) { 'hidden' } else { "listed $($output.Name -join ',')" }
                }
                catch {
                    $actual[$operation.Key] = if ($_.FullyQualifiedErrorId -like 'AccessDenied,*') { 'denied' } else { "failed: $($_.FullyQualifiedErrorId)" }
                    if ($actual[$operation.Key] -eq 'denied') {
                        $denials += @{ Operation = $operation; Error = $_; Changed = (Get-VaultFileState) -ne $before }
                    }
                }
            }

            # The whole table at once, so that a failure shows every difference.
            $format = { param($table) ($table.GetEnumerator() | ForEach-Object { '{0,-18} {1}' -f $_.Key, $_.Value }) -join "`n" }
            & $format $actual | Should -BeExactly (& $format $Expected)
            $expectedDecisions = [ordered]@{}
            foreach ($key in $Expected.Keys) {
                $expectedDecisions[$key] = if ($Expected[$key] -eq 'yes') { 'yes' } else { 'no' }
            }
            & $format $decided | Should -BeExactly (& $format $expectedDecisions) -Because 'Test-VaultAccess explains the decisions the commands meet'

            foreach ($denial in $denials) {
                $operation = $denial.Operation
                $denial.Changed | Should -BeFalse -Because "a refused $($operation.Key) changes nothing"
                $err = Assert-AccessDenied -Command $operation.Command -Scope $operation.Scope
                $err.Exception.Message | Should -BeLikeExactly "$($me.PrincipalName) ($($me.PrincipalId)) may not $($operation.Action) on '$($operation.Scope)' of vault 'rbac-vault': *"
            }
            # A refused backup or export leaves no file behind.
            Join-Path $env:VAULT_HOME 'db.blob' | Should -Not:($Expected.BackupSecret -ne 'yes') -Exist
            Join-Path $env:VAULT_HOME 'keyring.bin' | Should -Not:($Expected.ExportKeyring -ne 'yes') -Exist
        }
    }

    Context 'scoped assignments' {
        BeforeEach {
            'app1-db', 'app1-api', 'app2-db', 'app1-old', 'app2-old' | ForEach-Object { Set-VaultSecret rbac-vault $_ "value of $_" }
            Remove-VaultSecret rbac-vault app1-old -Force
            Remove-VaultSecret rbac-vault app2-old -Force
            Limit-MyAccess -Role 'Vault Secrets User' -Scope '/secrets/app1-*'
        }

        It 'Vault Secrets User at /secrets/app1-* reads app1-* and nothing else' {
            Get-VaultSecret rbac-vault app1-db -AsPlainText | Should -BeExactly 'value of app1-db'
            Get-VaultSecret -Id 'vault://rbac-vault/secrets/APP1-API' -AsPlainText | Should -BeExactly 'value of app1-api' -Because 'scopes compare case-insensitively, as names do'
            $null = Assert-AccessDenied -Command 'Get-VaultSecret rbac-vault app2-db' -Scope '/secrets/app2-db'
            $null = Assert-AccessDenied -Command "Get-VaultSecret -Id 'vault://rbac-vault/secrets/app2-db'" -Scope '/secrets/app2-db'
            $null = Assert-AccessDenied -Command "Set-VaultSecret rbac-vault app1-db 'v2'" -Scope '/secrets/app1-db'

            # A listing is filtered, not refused: it shows the names the assignment covers.
            (Get-VaultSecret rbac-vault).Name | Should -BeExactly @('app1-api', 'app1-db')
            (Get-VaultSecret rbac-vault 'app*').Name | Should -BeExactly @('app1-api', 'app1-db')
            Get-VaultSecret rbac-vault 'app2*' | Should -BeNullOrEmpty
            (Get-VaultSecret rbac-vault -InRemovedState).Name | Should -BeExactly @('app1-old')

            # Inside its scope, a missing name is simply not found.
            { Get-VaultSecret rbac-vault app1-missing -ErrorAction Stop } |
                Should -Throw -ErrorId 'SecretNotFound,Vault.PowerShell.Commands.GetVaultSecretCommand'

            # A role somewhere in the vault is enough to see the vault itself (and to unlock it).
            (Get-Vault rbac-vault).VaultName | Should -BeExactly 'rbac-vault'
            (Get-Vault | Get-VaultSecret).Name | Should -BeExactly @('app1-api', 'app1-db')
        }

        It 'AccessDenied for a missing name is the same error as for an existing one' {
            $existing = Assert-AccessDenied -Command 'Get-VaultSecret rbac-vault app2-db' -Scope '/secrets/app2-db'
            $missing = Assert-AccessDenied -Command 'Get-VaultSecret rbac-vault app2-nothing' -Scope '/secrets/app2-nothing'

            $missing.FullyQualifiedErrorId | Should -BeExactly $existing.FullyQualifiedErrorId
            $missing.CategoryInfo.Category | Should -Be $existing.CategoryInfo.Category
            $missing.Exception.GetType() | Should -Be $existing.Exception.GetType()
            $missing.Exception.Message.Replace('app2-nothing', '<name>') | Should -BeExactly $existing.Exception.Message.Replace('app2-db', '<name>')

            # So does every other command: deleting, backing up, purging, recovering.
            foreach ($command in 'Remove-VaultSecret rbac-vault {0} -Force', "Backup-VaultSecret rbac-vault {0} (Join-Path `$TestDrive 'x.blob')",
                'Remove-VaultSecret rbac-vault {0} -InRemovedState -Force', 'Undo-VaultSecretRemoval rbac-vault {0}', 'Get-VaultSecret rbac-vault {0} -IncludeVersions') {
                $a = Assert-AccessDenied -Command ($command -f 'app2-old') -Scope '/secrets/app2-old'
                $b = Assert-AccessDenied -Command ($command -f 'app2-never') -Scope '/secrets/app2-never'
                $b.Exception.Message.Replace('app2-never', '<name>') | Should -BeExactly $a.Exception.Message.Replace('app2-old', '<name>')
            }
        }
    }

    Context 'role assignments' {
        It 'a scope that is not /, /secrets/<name> or /secrets/<prefix>* is InvalidScope' {
            foreach ($scope in '/keys/x', '/secrets/bad name') {
                $err = { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope $scope -ErrorAction Stop } |
                    Should -Throw -ErrorId 'InvalidScope,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand' -PassThru
                $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
                $err.TargetObject | Should -BeExactly $scope
                { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope $scope -ErrorAction SilentlyContinue } |
                    Should -Throw -ErrorId 'InvalidScope,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand' -Because 'InvalidScope is terminating'
            }
            { Test-VaultAccess rbac-vault -Action 'Vault/secrets/getSecret/action' -Scope '/keys/x' -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidScope,Vault.PowerShell.Commands.TestVaultAccessCommand'

            # The scopes that are valid.
            foreach ($scope in '/', '/secrets/db', '/secrets/app1-*', '/secrets/*') {
                (New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope $scope).Scope | Should -BeExactly $scope
            }
            Get-VaultRoleAssignment rbac-vault -PrincipalId 'uid:99998' | Should -HaveCount 4
        }

        It 'a user name the computer does not know is PrincipalNotFound' {
            $err = { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalName 'no-such-user-x9' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PrincipalNotFound,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ObjectNotFound)
            $err.TargetObject | Should -BeExactly 'no-such-user-x9'
            $err.Exception.Message | Should -BeLikeExactly "No user named 'no-such-user-x9'*"
            { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalName 'no-such-user-x9' -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'PrincipalNotFound is non-terminating'
            { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalName 'no-such-group-x9' -PrincipalType Group -ErrorAction Stop } |
                Should -Throw -ErrorId 'PrincipalNotFound,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand'

            # An id need not be an account of this computer.
            (New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998').PrincipalId | Should -BeExactly 'uid:99998'
            Get-VaultRoleAssignment rbac-vault | Should -HaveCount 2
        }

        It 'the same role for the same principal at the same scope is RoleAssignmentExists' {
            $first = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope '/secrets/db'
            $first.RoleDefinitionName | Should -BeExactly 'Vault Reader'

            $err = { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'vault reader' -PrincipalId 'uid:99998' -Scope '/SECRETS/DB' -ErrorAction Stop } |
                Should -Throw -ErrorId 'RoleAssignmentExists,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceExists)
            $err.TargetObject | Should -BeExactly 'uid:99998 (uid:99998)'
            { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope '/secrets/db' -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'RoleAssignmentExists is non-terminating'
            # The creator's own Administrator assignment, too.
            { New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Administrator' -PrincipalName $me.PrincipalName -ErrorAction Stop } |
                Should -Throw -ErrorId 'RoleAssignmentExists,Vault.PowerShell.Commands.NewVaultRoleAssignmentCommand'

            Get-VaultRoleAssignment rbac-vault | Should -HaveCount 2
            # Another scope, or another role, is another assignment.
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:99998' -Scope '/secrets/db2'
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Secrets User' -PrincipalId 'uid:99998' -Scope '/secrets/db'
            Get-VaultRoleAssignment rbac-vault -PrincipalId 'uid:99998' | Should -HaveCount 3
        }

        It 'a role given to a group reaches its members' -Skip:$IsWindows {
            $group = id -gn
            Set-VaultSecret rbac-vault db 'v1'
            $assignment = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Secrets User' -PrincipalName $group -PrincipalType Group
            $assignment.PrincipalType | Should -Be 'Group'
            $assignment.PrincipalId | Should -BeExactly "gid:$(id -g)"
            $assignment.PrincipalName | Should -BeExactly $group
            Limit-MyAccess

            # The caller holds no role of its own now, only its group's.
            Get-VaultSecret rbac-vault db -AsPlainText | Should -BeExactly 'v1'
            $decision = Test-VaultAccess rbac-vault -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/db'
            $decision.Allowed | Should -BeTrue
            $decision.Principal | Should -BeExactly "$($me.PrincipalName) ($($me.PrincipalId))"
            $decision.GrantedBy | Should -BeExactly "Vault Secrets User at / through group $group"
            $decision.Reason | Should -BeLikeExactly "*through group $group grants Vault/secrets/getSecret/action*"
            $null = Assert-AccessDenied -Command "Set-VaultSecret rbac-vault db 'v2'" -Scope '/secrets/db'
        }

        It 'an id gives its type when -PrincipalType is not named' {
            (New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'gid:4243').PrincipalType | Should -Be 'Group'
            (New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'app:billing').PrincipalType | Should -Be 'Application'
            (New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:4244').PrincipalType | Should -Be 'User'
        }

        It 'the only Vault Administrator at / cannot be removed: LastAdministrator' {
            $before = Get-VaultFileState
            $err = { Remove-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Administrator' -PrincipalName $me.PrincipalName -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'LastAdministrator,Vault.PowerShell.Commands.RemoveVaultRoleAssignmentCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
            $err.TargetObject | Should -BeExactly 'rbac-vault'
            { Get-VaultRoleAssignment rbac-vault | Remove-VaultRoleAssignment -Force -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'LastAdministrator is non-terminating'
            Get-VaultFileState | Should -BeExactly $before

            # An Administrator at a narrower scope does not count; a second one at / does.
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId 'uid:99998' -Scope '/secrets/db'
            { Remove-VaultRoleAssignment rbac-vault 'Vault Administrator' -PrincipalName $me.PrincipalName -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'LastAdministrator,Vault.PowerShell.Commands.RemoveVaultRoleAssignmentCommand'
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId 'uid:99999'
            $removed = Remove-VaultRoleAssignment rbac-vault 'Vault Administrator' -PrincipalName $me.PrincipalName -Force -PassThru
            $removed.PrincipalId | Should -BeExactly $me.PrincipalId

            # Now without any role, the caller cannot even read the assignments.
            $null = Assert-AccessDenied -Command 'Get-VaultRoleAssignment rbac-vault' -Scope '/'
        }
    }

    Context 'Test-VaultAccess' {
        It 'explains an allowed and a denied decision for the caller' {
            Set-VaultSecret rbac-vault db 'v1'
            Limit-MyAccess -Role 'Vault Reader'

            $allowed = Test-VaultAccess rbac-vault -Action 'Vault/secrets/readMetadata/action' -Scope '/secrets/db'
            $allowed.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultAccessDecision'
            $allowed.Allowed | Should -BeTrue
            $allowed.Principal | Should -BeExactly "$($me.PrincipalName) ($($me.PrincipalId))"
            $allowed.Action | Should -BeExactly 'Vault/secrets/readMetadata/action'
            $allowed.Scope | Should -BeExactly '/secrets/db'
            $allowed.GrantedBy | Should -BeExactly 'Vault Reader at /'
            $allowed.Reason | Should -BeExactly 'Vault Reader at / grants Vault/secrets/readMetadata/action.'

            # Vault/*/read/action matches Vault/audit/read/action, which Vault Reader's NotDataActions take out.
            $excluded = Test-VaultAccess rbac-vault -Action 'Vault/audit/read/action'
            $excluded.Allowed | Should -BeFalse
            $excluded.GrantedBy | Should -BeNullOrEmpty
            $excluded.Reason | Should -BeExactly 'Vault Reader excludes Vault/audit/read/action (NotDataActions), and no other role assigned at a scope that covers / grants it.'

            # A secret's value: Vault Reader's DataActions never grant it (its NotDataActions name it as well).
            $notGranted = Test-VaultAccess rbac-vault -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/db'
            $notGranted.Allowed | Should -BeFalse
            $notGranted.GrantedBy | Should -BeNullOrEmpty
            $notGranted.Reason | Should -BeExactly 'The roles assigned at a scope that covers /secrets/db (Vault Reader) do not grant Vault/secrets/getSecret/action.'

            # The denial a command meets carries the same reason.
            $err = Assert-AccessDenied -Command 'Get-VaultSecret rbac-vault db' -Scope '/secrets/db'
            $err.Exception.Message | Should -BeLikeExactly "*$($notGranted.Reason)*"
            $err.Exception.Message | Should -BeLikeExactly '*A Vault Administrator can grant it with New-VaultRoleAssignment; Test-VaultAccess explains decisions.'
        }

        It 'explains decisions for another local account' -Skip:$IsWindows {
            $nobody = Test-VaultAccess rbac-vault -PrincipalName nobody -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/db'
            $nobody.Allowed | Should -BeFalse
            $nobody.Principal | Should -BeExactly "nobody (uid:$(id -u nobody))"
            $nobody.Reason | Should -BeExactly "No role is assigned to nobody (uid:$(id -u nobody)) or its groups at a scope that covers /secrets/db."

            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Secrets User' -PrincipalName daemon -Scope '/secrets/app1-*'
            $daemon = Test-VaultAccess rbac-vault -PrincipalName daemon -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/app1-db'
            $daemon.Allowed | Should -BeTrue
            $daemon.Principal | Should -BeExactly "daemon (uid:$(id -u daemon))"
            $daemon.GrantedBy | Should -BeExactly 'Vault Secrets User at /secrets/app1-*'
            $other = Test-VaultAccess rbac-vault -PrincipalName daemon -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/app2-db'
            $other.Allowed | Should -BeFalse
            $other.Reason | Should -BeLikeExactly 'No role is assigned to daemon*covers /secrets/app2-db.'
            # By id, as well as by name; the caller's own decision is unchanged.
            (Test-VaultAccess rbac-vault -PrincipalId "uid:$(id -u daemon)" -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/app1-db').Allowed | Should -BeTrue
            (Test-VaultAccess rbac-vault -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/app2-db').GrantedBy | Should -BeExactly 'Vault Administrator at /'

            # Asking about someone else needs Vault/roleAssignments/read; asking about oneself does not.
            Limit-MyAccess -Role 'Vault Secrets User'
            $null = Assert-AccessDenied -Command "Test-VaultAccess rbac-vault -PrincipalName daemon -Action 'Vault/secrets/getSecret/action'" -Scope '/'
            (Test-VaultAccess rbac-vault -Action 'Vault/secrets/getSecret/action' -Scope '/secrets/db').Allowed | Should -BeTrue
        }
    }

    Context 'Test-VaultAccess refuses what it cannot answer' {
        It 'an action Vault does not know, or a pattern, is InvalidAction' {
            foreach ($action in 'Vault/secrets/getSecrets/action', 'Vault/*') {
                $err = { Test-VaultAccess rbac-vault -Action $action -ErrorAction SilentlyContinue } |
                    Should -Throw -ErrorId 'InvalidAction,Vault.PowerShell.Commands.TestVaultAccessCommand' -PassThru -Because 'InvalidAction is terminating'
                $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
                $err.TargetObject | Should -BeExactly $action
                $err.Exception.Message | Should -BeLikeExactly "'$action' is not a Vault action*"
            }
            (Test-VaultAccess rbac-vault -Action 'vault/VAULT/read/ACTION').Allowed | Should -BeTrue -Because 'actions compare case-insensitively'
        }

        It 'a name this computer does not know is PrincipalNotFound; an unknown id is tested as it is' {
            { Test-VaultAccess rbac-vault -PrincipalName 'no-such-account-x9' -Action 'Vault/vault/read/action' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PrincipalNotFound,Vault.PowerShell.Commands.TestVaultAccessCommand'
            $unknown = Test-VaultAccess rbac-vault -PrincipalId 'uid:99997' -Action 'Vault/vault/read/action'
            $unknown.Allowed | Should -BeFalse
            $unknown.Principal | Should -BeLikeExactly '*uid:99997*'
        }
    }

    Context 'a role anywhere in the vault' {
        It 'shows the vault and unlocks it; the settings stay decided at /' {
            Set-VaultSecret rbac-vault app1-db 'a1'
            Limit-MyAccess -Role 'Vault Secrets User' -Scope '/secrets/app1-*'
            (Get-Vault rbac-vault).VaultName | Should -BeExactly 'rbac-vault'
            (Get-Vault rbac-vault | Get-VaultSecret -Name app1-db -AsPlainText) | Should -BeExactly 'a1'
            Lock-Vault rbac-vault
            (Unlock-Vault rbac-vault -PassThru).VaultName | Should -BeExactly 'rbac-vault'
            $null = Assert-AccessDenied -Command 'Update-Vault rbac-vault -SoftDeleteRetentionInDays 30' -Scope '/'
        }

        It 'without any role, Get-Vault and Unlock-Vault are denied and Lock-Vault still works' {
            Limit-MyAccess
            { Lock-Vault rbac-vault -ErrorAction Stop } | Should -Not -Throw
            $null = Assert-AccessDenied -Command 'Get-Vault rbac-vault' -Scope '/'
            $null = Assert-AccessDenied -Command 'Unlock-Vault rbac-vault' -Scope '/'
        }
    }

    Context '-WhatIf' {
        BeforeEach {
            $null = New-VaultRoleDefinition rbac-vault -Name 'Spare Role' -DataActions 'Vault/secrets/readMetadata/action'
            $null = New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId 'uid:77777'
            $roleFile = New-RoleFile @{ Name = 'File Role'; DataActions = @('Vault/secrets/getSecret/action') }
        }

        It '<Command> -WhatIf changes nothing and says what it would do' -ForEach @(
            @{ Command = "New-VaultRoleDefinition rbac-vault -Name 'New Role' -DataActions 'Vault/secrets/getSecret/action'" }
            @{ Command = 'New-VaultRoleDefinition rbac-vault -InputFile $roleFile' }
            @{ Command = "New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId uid:66666" }
            @{ Command = "Remove-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Reader' -PrincipalId uid:77777" }
            @{ Command = "Get-VaultRoleAssignment rbac-vault -PrincipalId uid:77777 | Remove-VaultRoleAssignment -Force" }
            @{ Command = "Remove-VaultRoleDefinition rbac-vault 'Spare Role'" }
            @{ Command = "Remove-VaultRoleDefinition rbac-vault 'Spare Role' -Force" }
        ) {
            $before = Get-VaultFileState
            $roles = (Get-VaultRoleDefinition rbac-vault).Name -join ','
            $assignments = (Get-VaultRoleAssignment rbac-vault | ForEach-Object { "$_" }) -join ','

            $whatIf = Invoke-WhatIf $Command
            $whatIf.Output | Should -BeNullOrEmpty
            $whatIf.Shown | Should -BeLikeExactly '*What if: Performing the operation*'
            Get-VaultFileState | Should -BeExactly $before
            (Get-VaultRoleDefinition rbac-vault).Name -join ',' | Should -BeExactly $roles
            (Get-VaultRoleAssignment rbac-vault | ForEach-Object { "$_" }) -join ',' | Should -BeExactly $assignments
        }
    }
}
