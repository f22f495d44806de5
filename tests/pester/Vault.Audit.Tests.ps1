#Requires -Version 7.6
# Pester 5 tests: the audit log as a user meets it: reading it with filters, the correlation id of
# a pipeline, the export a SIEM takes, the head, verification against tampering and rollback, a
# value's HMAC, the secrets about to expire, access, and completion. Mirrors
# tests/Vault.PowerShell.Tests/AuditCmdletTests.cs scenario for scenario.
#
# Conventions as in Vault.Tests.ps1. One difference from the xunit tests: Pester runs every test in
# one pipeline, so every command of a test shares one correlation id; a command line of its own is
# made by running it in a runspace of its own.

Describe 'Vault audit log' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $manifest = $env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME

        # Runs a command line in a runspace of its own, as another command line (or session) would.
        function Invoke-InNewRunspace {
            param([Parameter(Mandatory)][string] $Command)
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$manifest'; $Command")
                $ps.Invoke()
                if ($ps.Streams.Error.Count) { throw $ps.Streams.Error[0] }
            }
            finally {
                $ps.Dispose()
            }
        }

        function Limit-MyAccess {
            param([string] $Role)
            $me = Get-VaultContext
            $null = New-VaultRoleAssignment audit-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId 'uid:99999'
            $null = New-VaultRoleAssignment audit-vault -RoleDefinitionName $Role -PrincipalId $me.PrincipalId
            Get-VaultRoleAssignment audit-vault -PrincipalName $me.PrincipalId -RoleDefinitionName 'Vault Administrator' | Remove-VaultRoleAssignment -Force
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'
        New-Vault audit-vault | Out-Null
        Set-VaultSecret audit-vault db 'db-value'
        Set-VaultSecret audit-vault api 'api-value'
        $me = Get-VaultContext
        $vaultPath = (Get-Vault audit-vault).Path
    }

    AfterEach {
        Exit-VaultTestHome $VaultHome
    }

    Context 'Reading the log' {
        It 'is newest first, carries the caller and the client, and records its own read' {
            Get-VaultSecret audit-vault db | Out-Null
            $records = @(Get-VaultAuditLog audit-vault)
            $records.OperationName | Should -BeExactly @('SecretGet', 'SecretSet', 'SecretSet', 'VaultCreate')
            $records.SequenceNumber | Should -Be @(4, 3, 2, 1)
            $records[0].PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultAuditRecord'
            $get = $records[0]
            $get.IsChained | Should -BeTrue
            $get.SecretName | Should -BeExactly 'db'
            $get.TargetId | Should -Match '^vault://audit-vault/secrets/db/[0-9a-f]{32}$'
            $get.ResultType | Should -Be 'Success'
            $get.ResultSignature | Should -BeExactly 'OK'
            $get.CallerId | Should -BeExactly $me.PrincipalId
            $get.CallerName | Should -BeExactly $me.PrincipalName
            $get.ClientHost | Should -BeExactly $Host.Name
            $get.ClientProcessId | Should -Be $PID
            $get.ClientVersion | Should -BeExactly (Get-Module Vault).Version.ToString()
            $get.ClientMachine | Should -BeExactly ([Environment]::MachineName)
            $get.Hmac | Should -Match '^[0-9a-f]{64}$'
            [guid]::Parse($get.CorrelationId) | Should -Not -BeNullOrEmpty

            $again = @(Get-VaultAuditLog audit-vault)
            $again[0].OperationName | Should -BeExactly 'AuditLogRead'
            $again | Should -HaveCount 5
            (Get-VaultAuditLog audit-vault | Out-String -Width 200) | Should -Match 'Time\s+OperationName\s+ResultType\s+ResultSignature\s+CallerName\s+SecretName'
        }

        It 'every filter narrows it, and bad filters stop the command' {
            Get-VaultSecret audit-vault db | Out-Null
            Get-VaultSecret audit-vault missing -ErrorAction SilentlyContinue
            (Get-VaultAuditLog audit-vault -Last 2).OperationName | Should -BeExactly @('SecretGet', 'SecretGet')
            (Get-VaultAuditLog audit-vault -OperationName secretset).SequenceNumber | Should -Be @(3, 2)
            (Get-VaultAuditLog audit-vault -SecretName DB).OperationName | Should -BeExactly @('SecretGet', 'SecretSet')
            $failed = Get-VaultAuditLog audit-vault -ResultType Failed
            $failed | Should -HaveCount 1
            $failed.SecretName | Should -BeExactly 'missing'
            $failed.ResultSignature | Should -BeExactly 'NotFound'
            Get-VaultAuditLog audit-vault -ResultType Denied | Should -BeNullOrEmpty
            Get-VaultAuditLog audit-vault -PrincipalName $me.PrincipalName | Should -Not -BeNullOrEmpty
            Get-VaultAuditLog audit-vault -PrincipalName $me.PrincipalId | Should -Not -BeNullOrEmpty
            Get-VaultAuditLog audit-vault -PrincipalName uid:4242 | Should -BeNullOrEmpty
            Get-VaultAuditLog audit-vault -Start ([datetime]::UtcNow.AddMinutes(5)) | Should -BeNullOrEmpty
            Get-VaultAuditLog audit-vault -End ([datetime]::UtcNow.AddMinutes(-10)) | Should -BeNullOrEmpty
            (Get-VaultAuditLog audit-vault -Start ([datetime]::UtcNow.AddMinutes(-10)) -End ([datetime]::UtcNow) -OperationName SecretSet -SecretName api -ResultType Success -Last 5).SecretName |
                Should -BeExactly 'api'

            { Get-VaultAuditLog audit-vault -OperationName SecretRead } |
                Should -Throw -ErrorId 'InvalidAuditQuery,Vault.PowerShell.Commands.GetVaultAuditLogCommand'
            { Get-VaultAuditLog audit-vault -Start ([datetime]::UtcNow) -End ([datetime]::UtcNow.AddDays(-1)) -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidAuditQuery,Vault.PowerShell.Commands.GetVaultAuditLogCommand' -Because 'a bad filter stops the command'
            { Get-VaultAuditLog audit-vault -Last 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Vault.PowerShell.Commands.GetVaultAuditLogCommand'
        }

        It 'streams: the first records arrive without reading the rest' {
            1..50 | ForEach-Object { Get-VaultSecret audit-vault db | Out-Null }
            (Get-VaultAuditLog audit-vault | Select-Object -First 3).OperationName | Should -BeExactly @('SecretGet', 'SecretGet', 'SecretGet')
        }
    }

    Context 'The correlation id' {
        It 'is shared by one pipeline, and another command line gets its own' {
            Get-VaultSecret -VaultName audit-vault -Name db | Remove-VaultSecret -Force
            Invoke-InNewRunspace 'Get-VaultSecret -VaultName audit-vault -Name api | Out-Null'
            $records = @(Get-VaultAuditLog audit-vault -Last 3)
            $records.OperationName | Should -BeExactly @('SecretGet', 'SecretDelete', 'SecretGet')
            $records[1].CorrelationId | Should -BeExactly $records[2].CorrelationId
            $records[0].CorrelationId | Should -Not -BeExactly $records[1].CorrelationId
            $records[0].ClientHost | Should -BeExactly 'Default Host'

            # This test's pipeline is Pester's: its id covers the test's setup too, not the other runspace's read.
            $pipeline = @(Get-VaultAuditLog audit-vault -CorrelationId $records[1].CorrelationId.ToUpperInvariant())
            $pipeline.OperationName | Should -Contain 'SecretDelete'
            $pipeline.SequenceNumber | Should -Not -Contain $records[0].SequenceNumber
        }

        It 'follows the history: each command line added to it gets its own id' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$manifest'; Get-VaultSecret -VaultName audit-vault -Name db | Out-Null")
                $settings = [System.Management.Automation.PSInvocationSettings]@{ AddToHistory = $true }
                $null = $ps.Invoke($null, $settings)
                $null = $ps.Invoke($null, $settings)
            }
            finally {
                $ps.Dispose()
            }

            $reads = @(Get-VaultAuditLog audit-vault -OperationName SecretGet)
            $reads | Should -HaveCount 2
            $reads[0].CorrelationId | Should -Not -BeExactly $reads[1].CorrelationId
        }
    }

    Context 'Export-VaultAuditLog' {
        It 'writes one AuditEvent per line, oldest first' {
            $count = @(Get-VaultAuditLog audit-vault).Count
            $file = Join-Path $VaultHome 'audit.jsonl'
            $out = Export-VaultAuditLog audit-vault $file
            $out | Should -BeOfType System.IO.FileInfo
            $out.FullName | Should -BeExactly $file

            $events = @(Get-Content $file | ConvertFrom-Json)
            $events | Should -HaveCount ($count + 1)
            $events.properties.sequenceNumber | Should -Be (1..($count + 1))
            $events[0].operationName | Should -BeExactly 'VaultCreate'
            $set = $events[1]
            $set.category | Should -BeExactly 'AuditEvent'
            $set.resourceId | Should -BeExactly 'vault://audit-vault'
            $set.operationName | Should -BeExactly 'SecretSet'
            $set.resultType | Should -BeExactly 'Success'
            $set.resultSignature | Should -BeExactly 'OK'
            $set.identity.claim.oid | Should -BeExactly $me.PrincipalId
            $set.identity.claim.upn | Should -BeExactly $me.PrincipalName
            $set.identity.claim.type | Should -BeExactly 'User'
            $set.properties.secretName | Should -BeExactly 'db'
            $set.properties.clientInfo.processId | Should -Be $PID
            $set.properties.requestProperties.valueHmac | Should -Match '^hmac-sha256:[0-9a-f]{64}$'
            $set.properties.hmac | Should -Match '^[0-9a-f]{64}$'
            (Get-VaultAuditLog audit-vault -Last 1).OperationName | Should -BeExactly 'AuditLogExport'
        }

        It 'writes CSV with a header and a row per record' {
            $count = @(Get-VaultAuditLog audit-vault).Count
            $file = Join-Path $VaultHome 'audit.csv'
            Export-VaultAuditLog audit-vault $file -Format Csv | Out-Null
            $rows = @(Import-Csv $file)
            $rows | Should -HaveCount ($count + 1)
            $rows[0].operationName | Should -BeExactly 'VaultCreate'
            $rows[0].category | Should -BeExactly 'AuditEvent'
            (Get-Content $file -TotalCount 1) | Should -BeExactly 'time,resourceId,operationName,category,resultType,resultSignature,resultDescription,durationMs,correlationId,callerId,callerName,callerType,sequenceNumber,isChained,id,secretName,clientVersion,clientHost,clientProcessId,clientMachine,requestProperties,hmac'
        }

        It '-WhatIf writes nothing, and an existing file needs -Force' {
            $file = Join-Path $VaultHome 'audit.jsonl'
            Export-VaultAuditLog audit-vault $file -WhatIf | Should -BeNullOrEmpty
            $file | Should -Not -Exist
            Get-VaultAuditLog audit-vault -OperationName AuditLogExport | Should -BeNullOrEmpty

            Set-Content -Path $file -Value 'keep me'
            { Export-VaultAuditLog audit-vault $file } |
                Should -Throw -ErrorId 'OutputFileExists,Vault.PowerShell.Commands.ExportVaultAuditLogCommand'
            { Export-VaultAuditLog audit-vault $file -ErrorAction SilentlyContinue } | Should -Not -Throw
            Get-Content $file | Should -BeExactly 'keep me'
            Export-VaultAuditLog audit-vault $file -Force | Out-Null
            (Get-Content $file -TotalCount 1) | Should -Match '^\{"time":'
        }

        It 'no file ever holds a secret value' {
            $values = 'Distinctive-Secret-Value-7f3a9c', 'Another-Value-With-Ümlaut-2b8e'
            Set-VaultSecret audit-vault special $values[0]
            Set-VaultSecret audit-vault other $values[1]
            Get-VaultSecret audit-vault special | Out-Null
            Get-VaultAuditHash audit-vault $values[0] | Out-Null
            Export-VaultAuditLog audit-vault (Join-Path $VaultHome 'audit.jsonl') | Out-Null
            Export-VaultAuditLog audit-vault (Join-Path $VaultHome 'audit.csv') -Format Csv | Out-Null
            foreach ($file in Get-ChildItem $VaultHome -Recurse -File) {
                $bytes = [IO.File]::ReadAllBytes($file.FullName)
                $text = [Text.Encoding]::Latin1.GetString($bytes)
                foreach ($value in $values) {
                    foreach ($needle in [Text.Encoding]::UTF8.GetBytes($value), [Text.Encoding]::Unicode.GetBytes($value),
                        [Text.Encoding]::UTF8.GetBytes([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($value)))) {
                        $text.Contains([Text.Encoding]::Latin1.GetString($needle)) | Should -BeFalse -Because "$($file.Name) must not hold a secret value"
                    }
                }
            }
        }
    }

    Context 'Test-Vault: the whole vault against its MACs' {
        It 'an intact vault verifies, and says what it checked' {
            $report = Test-Vault audit-vault
            $report.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultIntegrityReport'
            $report.IsValid | Should -BeTrue
            $report.SecretCount | Should -Be 2
            $report.VersionCount | Should -Be 2
            $report.Problems | Should -HaveCount 0
            $report.AuditLog.IsValid | Should -BeTrue
            (Get-VaultAuditLog audit-vault -Last 1).OperationName | Should -BeExactly 'VaultVerify'
            (Get-Vault audit-vault | Test-Vault).IsValid | Should -BeTrue
        }

        It 'every object edited with sqlite3 is named in one pass, each as an error of its own' {
            Set-VaultSecret audit-vault db 'db-value-2'
            $seqs = @(Invoke-VaultSql -Path $vaultPath -Sql "SELECT v.seq FROM secret_version v JOIN secret s USING (secret_id) WHERE s.name = 'db' ORDER BY v.seq;")
            Invoke-VaultSql -Path $vaultPath -Sql "DELETE FROM secret_version WHERE seq = $($seqs[1]); UPDATE secret_version SET enabled = 0 WHERE secret_id = (SELECT secret_id FROM secret WHERE name = 'api');"

            $report = Test-Vault audit-vault -ErrorAction SilentlyContinue -ErrorVariable problems
            $report.IsValid | Should -BeFalse
            $report.Problems.Name | Should -BeExactly @('api', 'db')
            $problems | Should -HaveCount 2
            $problems[0].FullyQualifiedErrorId | Should -BeExactly 'MetadataIntegrityFailed,Vault.PowerShell.Commands.TestVaultCommand'
            $problems[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
            $problems[0].TargetObject | Should -BeExactly 'api'
            { Test-Vault audit-vault } | Should -Throw -ErrorId 'MetadataIntegrityFailed,Vault.PowerShell.Commands.TestVaultCommand'

            # Each damaged secret is refused with its name; a value the edit would have served never leaves.
            $err = { Get-VaultSecret audit-vault db -AsPlainText } | Should -Throw -ErrorId 'MetadataIntegrityFailed,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru
            $err.Exception.Message | Should -BeLike "*'db' of vault 'audit-vault' was changed outside Vault*Test-Vault*"
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
            "$err" | Should -Not -BeLike '*db-value*'
        }

        It 'purge protection turned off in the file stays on' {
            Update-Vault audit-vault -EnablePurgeProtection | Out-Null
            Remove-VaultSecret audit-vault api -Force
            Invoke-VaultSql -Path $vaultPath -Sql 'UPDATE vault SET purge_protection = 0;'
            { Remove-VaultSecret audit-vault api -InRemovedState -Force } | Should -Throw -ErrorId 'MetadataIntegrityFailed,*'
            @(Invoke-VaultSql -Path $vaultPath -Sql "SELECT count(*) FROM secret WHERE name = 'api';")[0] | Should -Be 1
            (Test-Vault audit-vault -ErrorAction SilentlyContinue).Problems.Area | Should -Be 'Settings'
        }

        It 'a wiped log is reported from sequence 1' {
            Invoke-VaultSql -Path $vaultPath -Sql 'DELETE FROM audit_record; DELETE FROM audit_head;'
            Set-VaultSecret audit-vault later 'x'
            $result = Test-VaultAuditLog audit-vault -ErrorAction SilentlyContinue
            $result.IsValid | Should -BeFalse
            $result.Problem | Should -BeExactly 'Removed'
            $result.FirstBadSequenceNumber | Should -Be 1
        }
    }

    Context 'The head and verification' {
        It 'the head is the last record, and an intact log verifies against it given either way' {
            $anchor = Get-VaultAuditHead audit-vault
            $anchor.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultAuditHead'
            $last = Get-VaultAuditLog audit-vault -Last 1
            $last.OperationName | Should -BeExactly 'AuditHeadGet'
            $anchor.SequenceNumber | Should -Be $last.SequenceNumber
            $anchor.Hmac | Should -BeExactly $last.Hmac
            "$anchor" | Should -BeExactly "$($anchor.SequenceNumber):$($anchor.Hmac)"

            Set-VaultSecret audit-vault later 'x'
            $result = Test-VaultAuditLog audit-vault
            $result.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultAuditVerification'
            $result.IsValid | Should -BeTrue
            (Test-VaultAuditLog audit-vault -ExpectedHead $anchor).IsValid | Should -BeTrue
            (Test-VaultAuditLog audit-vault -ExpectedHead $anchor.ToString()).IsValid | Should -BeTrue
            (Test-VaultAuditLog audit-vault "$anchor").IsValid | Should -BeTrue
            $anchor | Export-Clixml (Join-Path $VaultHome 'anchor.xml')
            (Test-VaultAuditLog audit-vault -ExpectedHead (Import-Clixml (Join-Path $VaultHome 'anchor.xml'))).IsValid | Should -BeTrue
        }

        It 'an expected head that is not one stops the command with InvalidAuditHead' -ForEach @(
            @{ Head = '42' }, @{ Head = '42:abc' }, @{ Head = 'x:0000000000000000000000000000000000000000000000000000000000000000' }
        ) {
            $err = { Test-VaultAuditLog audit-vault -ExpectedHead $Head -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidAuditHead,Vault.PowerShell.Commands.TestVaultAuditLogCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
            $err.Exception.Message | Should -BeLike '*is not an audit head*'
        }

        It 'an edited record is named, and written as AuditLogTampered' {
            Invoke-VaultSql -Path $vaultPath -Sql "UPDATE audit_record SET caller_name = 'someone-else' WHERE seq = 3;"
            $result = Test-VaultAuditLog audit-vault -ErrorAction SilentlyContinue -ErrorVariable tampered
            $result.IsValid | Should -BeFalse
            $result.Problem | Should -BeExactly 'Edited'
            $result.FirstBadSequenceNumber | Should -Be 3
            $tampered | Should -HaveCount 1
            $tampered[0].FullyQualifiedErrorId | Should -BeExactly 'AuditLogTampered,Vault.PowerShell.Commands.TestVaultAuditLogCommand'
            $tampered[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
            $tampered[0].TargetObject | Should -BeExactly 'audit-vault'
            $tampered[0].Exception.Message | Should -BeLike '*Edited at sequence number 3*'
            { Test-VaultAuditLog audit-vault } |
                Should -Throw -ErrorId 'AuditLogTampered,Vault.PowerShell.Commands.TestVaultAuditLogCommand'
        }

        It 'a removed record is named' {
            Invoke-VaultSql -Path $vaultPath -Sql 'DELETE FROM audit_record WHERE seq = 2;'
            $result = Test-VaultAuditLog audit-vault -ErrorAction SilentlyContinue
            $result.Problem | Should -BeExactly 'Removed'
            $result.FirstBadSequenceNumber | Should -Be 2
        }

        It 'a vault file rolled back to an older copy does not reach the anchored head' {
            $aside = Join-Path $VaultHome 'aside'
            New-Item -ItemType Directory $aside | Out-Null
            Copy-Item $vaultPath (Join-Path $aside 'v.vault')
            Copy-Item "$vaultPath-wal" (Join-Path $aside 'v.vault-wal')
            Set-VaultSecret audit-vault db 'rotated'
            Remove-VaultSecret audit-vault api -Force
            $anchor = Get-VaultAuditHead audit-vault

            # Put the old copy back: move the live file away (the module forgets its session), copy the old one in.
            Move-Item $vaultPath (Join-Path $VaultHome 'moved.vault')
            { Get-VaultAuditHead audit-vault } | Should -Throw -ErrorId 'VaultFileNotFound,Vault.PowerShell.Commands.GetVaultAuditHeadCommand'
            Remove-Item "$vaultPath-wal", "$vaultPath-shm" -ErrorAction SilentlyContinue
            Copy-Item (Join-Path $aside 'v.vault') $vaultPath
            Copy-Item (Join-Path $aside 'v.vault-wal') "$vaultPath-wal"

            (Test-VaultAuditLog audit-vault).IsValid | Should -BeTrue -Because 'the old copy is a valid log on its own'
            $result = Test-VaultAuditLog audit-vault -ExpectedHead $anchor -ErrorAction SilentlyContinue -ErrorVariable rolledBack
            $result.IsValid | Should -BeFalse
            $result.Problem | Should -BeExactly 'RolledBack'
            $rolledBack[0].FullyQualifiedErrorId | Should -BeLike 'AuditLogTampered,*'
        }
    }

    Context 'Values and expiry' {
        It "a value's hash is the valueHmac of its SecretSet record" {
            $stored = Get-VaultAuditLog audit-vault -OperationName SecretSet -SecretName db
            $valueHmac = $stored.Properties.valueHmac
            Get-VaultAuditHash audit-vault 'db-value' | Should -BeExactly $valueHmac
            Get-VaultAuditHash audit-vault -Value (ConvertTo-SecureString 'db-value' -AsPlainText -Force) | Should -BeExactly $valueHmac
            'db-value' | Get-VaultAuditHash audit-vault | Should -BeExactly $valueHmac
            Get-VaultAuditHash audit-vault 'api-value' | Should -Not -BeExactly $valueHmac

            $hash = Get-VaultAuditHash audit-vault 'db-value'
            (Get-VaultAuditLog audit-vault -OperationName SecretSet | Where-Object { $_.Properties.valueHmac -eq $hash }).SecretName | Should -BeExactly 'db'
        }

        It '-ExpiringWithin lists the secrets about to expire, expired ones too' {
            Set-VaultSecret audit-vault soon 'x' -Expires ([datetime]::UtcNow.AddDays(10))
            Set-VaultSecret audit-vault later 'x' -Expires ([datetime]::UtcNow.AddDays(90))
            Set-VaultSecret audit-vault gone 'x' -Expires ([datetime]::UtcNow.AddSeconds(-5))
            $expiring = @(Get-VaultSecret audit-vault -ExpiringWithin (New-TimeSpan -Days 30))
            $expiring.Name | Should -BeExactly @('gone', 'soon')
            $expiring[0].PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultSecretProperties'
            (Get-Vault audit-vault | Get-VaultSecret -ExpiringWithin 120.00:00:00).Name | Should -BeExactly @('gone', 'later', 'soon')
            (Get-VaultAuditLog audit-vault -Last 1).Properties.expiringWithin | Should -Not -BeNullOrEmpty
            { Get-VaultSecret audit-vault -ExpiringWithin '-1.00:00:00' } |
                Should -Throw -ErrorId 'InvalidExpiringWithin,Vault.PowerShell.Commands.GetVaultSecretCommand'
        }
    }

    Context 'Access and completion' {
        It 'without Vault Audit Reader the log is denied, and the denial recorded' {
            Limit-MyAccess -Role 'Vault Secrets User'
            foreach ($command in 'Get-VaultAuditLog', 'Get-VaultAuditHead', 'Test-VaultAuditLog') {
                $cmdlet = $command.Replace('-', '')
                $err = { & $command audit-vault } | Should -Throw -ErrorId "AccessDenied,Vault.PowerShell.Commands.$($cmdlet)Command" -PassThru
                $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::PermissionDenied)
                { & $command audit-vault -ErrorAction SilentlyContinue } | Should -Not -Throw
            }
            { Export-VaultAuditLog audit-vault (Join-Path $VaultHome 'denied.jsonl') } |
                Should -Throw -ErrorId 'AccessDenied,Vault.PowerShell.Commands.ExportVaultAuditLogCommand'
            Join-Path $VaultHome 'denied.jsonl' | Should -Not -Exist
            Invoke-VaultSql -Path $vaultPath -Sql "SELECT operation FROM audit_record WHERE result_type = 'Denied' ORDER BY id" |
                Should -BeExactly @('AuditLogRead', 'AuditLogRead', 'AuditHeadGet', 'AuditHeadGet', 'AuditLogVerify', 'AuditLogVerify', 'AuditLogExport')
        }

        It 'a Vault Audit Reader reads the log and no secret' {
            Limit-MyAccess -Role 'Vault Audit Reader'
            { Get-VaultSecret audit-vault db } | Should -Throw -ErrorId 'AccessDenied,Vault.PowerShell.Commands.GetVaultSecretCommand'
            $denied = Get-VaultAuditLog audit-vault -ResultType Denied
            $denied.OperationName | Should -BeExactly 'SecretGet'
            $denied.ResultSignature | Should -BeExactly 'Forbidden'
            (Test-VaultAuditLog audit-vault).IsValid | Should -BeTrue
        }

        It '-OperationName completes the operation names, and completion is not recorded' {
            $line = 'Get-VaultAuditLog -OperationName SecretG'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
                Should -BeExactly @('SecretGet', 'SecretGetDeleted', 'SecretGetMetadata')

            $before = @(Get-VaultAuditLog audit-vault).Count
            $line = 'Get-VaultSecret -VaultName audit-vault -Name d'
            $null = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            @(Get-VaultAuditLog audit-vault).Count | Should -Be ($before + 1)
        }
    }
}
