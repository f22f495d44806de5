#Requires -Version 7.6
# Pester 5 tests: a vault whose root key is in a PKCS#11 token, as a user drives it with the cmdlets,
# against a real SoftHSM2 (/usr/lib/softhsm/libsofthsm2.so). New-Vault -KeyProtector Pkcs11,
# Lock-Vault / Unlock-Vault and the PIN, Invoke-VaultKeyRotation, Set-VaultKeyProtector,
# Export-VaultKeyring / Import-VaultKeyring, ForEach-Object -Parallel, and -WhatIf.
# tests/Vault.Core.Tests/Pkcs11Tests.cs tests the same key protector from the core.
#
# Nothing here is skipped: without SoftHSM2 this file fails, with a message that says so (.ci/run
# installs it).
#
# SoftHSM2 reads $env:SOFTHSM2_CONF, and scans its token folder, once: at the first C_Initialize in
# the process, which is the first command that touches a PKCS#11 vault. A token made after that is
# never seen by this process. So BeforeAll, before any PKCS#11 vault is touched, makes a token folder
# and configuration of its own under the temp folder, points $env:SOFTHSM2_CONF at it (Vault copies
# $env: into the native environment before it loads a PKCS#11 library) and makes every token the
# file needs with softhsm2-util: one fresh token for each test that writes to one, one shared by the
# creation failures, one shared by the -WhatIf tests (which write nothing to it). For the same reason
# this file must run in a process in which SoftHSM2 is not loaded yet: Invoke-Pester in a new pwsh.
#
# Conventions are those of the other files (see Vault.Tests.ps1): a fresh $env:VAULT_HOME per test,
# $ErrorActionPreference = 'Stop', errors asserted by their fully qualified id, and terminating-ness
# by running the command again with -ErrorAction SilentlyContinue. $env:VAULT_PKCS11_PIN is cleared
# before each test and restored after it.

BeforeDiscovery {
    # New-Vault with the key protector options a user can get wrong. Target: the error's target;
    # <token> stands for the label of the token these tests share.
    $creationFailures = @(
        @{ Case = 'a library path where there is no file'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library '/nonexistent/libpkcs11.so' -TokenLabel `$failureToken -Pin (ConvertTo-Pin)"; ErrorId = 'HsmLibraryNotFound'; Category = 'ResourceUnavailable'; Target = '/nonexistent/libpkcs11.so' }
        @{ Case = 'a library path to a file that is no PKCS#11 library'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library `$softHsmConf -TokenLabel `$failureToken -Pin (ConvertTo-Pin)"; ErrorId = 'HsmLibraryNotFound'; Category = 'ResourceUnavailable'; Target = '<conf>' }
        @{ Case = 'a token label no token has'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library `$library -TokenLabel 'no-such-token' -Pin (ConvertTo-Pin)"; ErrorId = 'HsmTokenNotFound'; Category = 'ResourceUnavailable'; Target = 'no-such-token' }
        @{ Case = 'a wrong PIN'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library `$library -TokenLabel `$failureToken -Pin (ConvertTo-Pin 'wrong-pin-0000')"; ErrorId = 'HsmLoginFailed'; Category = 'AuthenticationError'; Target = '<token>' }
        @{ Case = 'Pkcs11 without -TokenLabel'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library `$library -Pin (ConvertTo-Pin)"; ErrorId = 'InvalidKeyProtectorOptions'; Category = 'InvalidArgument'; Target = $null }
        @{ Case = 'Pkcs11 without -Pkcs11Library'; Arguments = "-KeyProtector Pkcs11 -TokenLabel `$failureToken -Pin (ConvertTo-Pin)"; ErrorId = 'InvalidKeyProtectorOptions'; Category = 'InvalidArgument'; Target = $null }
        @{ Case = 'Pkcs11 without a PIN (no -Pin, no $env:VAULT_PKCS11_PIN)'; Arguments = "-KeyProtector Pkcs11 -Pkcs11Library `$library -TokenLabel `$failureToken"; ErrorId = 'InvalidKeyProtectorOptions'; Category = 'InvalidArgument'; Target = $null }
        @{ Case = '-TokenLabel with the default (Software) protector'; Arguments = "-TokenLabel `$failureToken"; ErrorId = 'InvalidKeyProtectorOptions'; Category = 'InvalidArgument'; Target = $null }
        @{ Case = '-TokenLabel and -Pin with -KeyProtector Software'; Arguments = "-KeyProtector Software -Pkcs11Library `$library -TokenLabel `$failureToken -Pin (ConvertTo-Pin)"; ErrorId = 'InvalidKeyProtectorOptions'; Category = 'InvalidArgument'; Target = $null }
    )

    # The key-management commands, each of which must only report under -WhatIf, -Force or not.
    # wi-vault is in the -WhatIf token, with a term whose versions are not re-encrypted yet;
    # sw-vault has a key file. Both have a keyring export beside them.
    $whatIfCommands = @(
        @{ Command = 'Invoke-VaultKeyRotation -VaultName wi-vault'; Action = 'Start a new keyring term' }
        @{ Command = 'Invoke-VaultKeyRotation -VaultName wi-vault -Force'; Action = 'Start a new keyring term' }
        @{ Command = 'Invoke-VaultKeyRotation -VaultName wi-vault -ReencryptSecrets -Force'; Action = 'Start a new keyring term and re-encrypt every secret version onto it' }
        @{ Command = 'Invoke-VaultKeyRotation -VaultName wi-vault -ResumeReencryption -Force'; Action = 'Re-encrypt every secret version onto the newest keyring term' }
        @{ Command = 'Invoke-VaultKeyRotation -VaultName wi-vault -Target RootKey -Force'; Action = 'Rotate the root key*' }
        @{ Command = 'Set-VaultKeyProtector -VaultName wi-vault -KeyProtector Software -Force'; Action = 'Move the root of trust to a software key file' }
        @{ Command = 'Set-VaultKeyProtector -VaultName sw-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $whatIfToken -Pin (ConvertTo-Pin) -Force'; Action = "Move the root of trust to token '*'*" }
        @{ Command = "Import-VaultKeyring -VaultName wi-vault -InputFile (Join-Path `$env:VAULT_HOME 'wi.keyring') -Password `$keyringPassword -Force"; Action = 'Put the keyring from * under a new software key file' }
        @{ Command = "Import-VaultKeyring -VaultName sw-vault -InputFile (Join-Path `$env:VAULT_HOME 'sw.keyring') -Password `$keyringPassword -KeyProtector Pkcs11 -Pkcs11Library `$library -TokenLabel `$whatIfToken -Pin (ConvertTo-Pin) -Force"; Action = "Put the keyring from * under token '*'" }
    )
}

Describe 'Vault with a PKCS#11 token (SoftHSM2)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'VaultTestHome.ps1')
        $manifest = [IO.Path]::GetFullPath(($env:VAULT_TEST_MANIFEST ?? (Join-Path $PSScriptRoot '../../out/Vault/Vault.psd1')))
        Import-Module $manifest -Force
        $previousVaultHome = $env:VAULT_HOME
        $previousPin = $env:VAULT_PKCS11_PIN
        $previousSoftHsmConf = $env:SOFTHSM2_CONF

        $library = '/usr/lib/softhsm/libsofthsm2.so'
        if (-not (Test-Path -LiteralPath $library -PathType Leaf)) {
            throw "SoftHSM2 is not installed: '$library' does not exist. These scenarios need a real PKCS#11 token and skip nothing; install it (apt-get install softhsm2; .ci/run does)."
        }
        $softHsmUtil = Get-Command -Name softhsm2-util -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $softHsmUtil) {
            throw "SoftHSM2's softhsm2-util is not on PATH, so no token can be made. Install softhsm2 (apt-get install softhsm2; .ci/run does)."
        }
        # /proc/self/maps, as .NET reads it: is SoftHSM2 already initialized in this process?
        if ([System.Diagnostics.Process]::GetCurrentProcess().Modules.FileName -match 'libsofthsm2') {
            throw 'SoftHSM2 is already loaded in this process, so it has read its configuration and tokens and would never see the tokens this file makes. Run Invoke-Pester in a new pwsh process.'
        }

        # A token folder and configuration of this file's own, read by SoftHSM2 at its first use.
        $softHsmDir = Join-Path ([IO.Path]::GetTempPath()) "vault-pester-softhsm/$([guid]::NewGuid().ToString('N'))"
        $tokenDir = Join-Path $softHsmDir 'tokens'
        $null = New-Item -ItemType Directory -Path $tokenDir -Force
        $softHsmConf = Join-Path $softHsmDir 'softhsm2.conf'
        Set-Content -LiteralPath $softHsmConf -Value @(
            "directories.tokendir = $tokenDir"
            'objectstore.backend = file'
            'log.level = ERROR'
            'slots.removable = false'
        )
        $env:SOFTHSM2_CONF = $softHsmConf

        # Every token this file uses, made now. The PIN is one no file would hold by chance.
        $soPin = 'pester-so-pin-3905'
        $userPin = 'pester-user-pin-7c41e2'
        $run = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $tokenLabels = foreach ($i in 1..15) { 'pester-{0:d2}-{1}' -f $i, $run }
        foreach ($label in $tokenLabels) {
            $made = & $softHsmUtil --init-token --free --label $label --so-pin $soPin --pin $userPin 2>&1
            if ($LASTEXITCODE -ne 0) {
                throw "softhsm2-util could not make the token '$label' in '$tokenDir' (exit code $LASTEXITCODE): $($made -join ' ')"
            }
        }

        # Each token's serial number as SoftHSM2's own tool reports it, to check Get-Vault against.
        $tokenSerials = @{}
        $serial = $null
        foreach ($line in & $softHsmUtil --show-slots) {
            if ($line -match '^\s+Serial number:\s*(\S*)') {
                $serial = $Matches[1]
            }
            elseif ($line -match '^\s+Label:\s*(\S.*?)\s*$') {
                $tokenSerials[$Matches[1]] = $serial
            }
        }
        foreach ($label in $tokenLabels) {
            if (-not $tokenSerials[$label]) {
                throw "softhsm2-util --show-slots does not list the token '$label' it made in '$tokenDir'."
            }
        }

        $failureToken = $tokenLabels[0]
        $whatIfToken = $tokenLabels[1]
        $freshTokens = [System.Collections.Generic.Queue[string]]::new([string[]]@($tokenLabels | Select-Object -Skip 2))

        # A token no other test has written to.
        function Get-FreshToken {
            if ($freshTokens.Count -eq 0) {
                throw "The $($tokenLabels.Count) tokens made in BeforeAll are all taken: make more there."
            }
            $freshTokens.Dequeue()
        }

        function ConvertTo-Pin([string] $Value = $userPin) {
            ConvertTo-SecureString -String $Value -AsPlainText -Force
        }

        $keyringPassword = ConvertTo-SecureString -String 'correct horse battery staple' -AsPlainText -Force

        function New-HsmVault {
            param([Parameter(Mandatory)][string] $Name, [Parameter(Mandatory)][string] $Token)
            New-Vault -Name $Name -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $Token -Pin (ConvertTo-Pin)
        }

        # Every version of a secret in plain text, newest first.
        function Get-AllValues {
            param([Parameter(Mandatory)][string] $VaultName, [Parameter(Mandatory)][string] $Name)
            Get-VaultSecret -VaultName $VaultName -Name $Name -IncludeVersions | Get-VaultSecret -AsPlainText
        }

        # The key protector settings the vault file records (kind, library, token, key label and id).
        function Get-KeyProtectorSettings([string] $Path) {
            Invoke-VaultSql -Path $Path -Sql 'SELECT key_protector FROM vault;' | ConvertFrom-Json
        }

        # Everything that says how a vault is protected and what it holds: what Get-Vault shows, the
        # recorded settings, every wrapped keyring term and sealed version, and the key file.
        function Get-VaultFingerprint([string] $VaultName) {
            $info = Get-Vault -Name $VaultName
            $sealed = Invoke-VaultSql -Path $info.Path -Sql @'
SELECT (SELECT key_protector FROM vault)
    || '|' || ifnull((SELECT group_concat(term || ':' || hex(wrapped_key) || ':' || ifnull(mechanism, ''), ',') FROM (SELECT * FROM keyring ORDER BY term)), '')
    || '|' || ifnull((SELECT group_concat(version || ':' || term || ':' || hex(value), ',') FROM (SELECT * FROM secret_version ORDER BY seq)), '');
'@
            $keyFile = "$($info.Path).key"
            $key = if (Test-Path -LiteralPath $keyFile) { (Get-FileHash -LiteralPath $keyFile -Algorithm SHA256).Hash } else { 'no key file' }
            @(
                ($info.KeyProtector, $info.KeyLocation, $info.TokenLabel, $info.TokenSerial, $info.KeyLabel, $info.WrapMechanism, $info.KeyringTerms, $info.Unlocked) -join '|'
                $sealed
                $key
            ) -join "`n"
        }

        # The bytes of a file the module may hold open (SQLite keeps the database, -wal and -shm open).
        function Read-SharedBytes([string] $Path) {
            $stream = [IO.FileStream]::new($Path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
            try {
                $buffer = [IO.MemoryStream]::new()
                $stream.CopyTo($buffer)
                # As one array, even an empty one (the -shm file can be).
                , $buffer.ToArray()
            }
            finally {
                $stream.Dispose()
            }
        }
    }

    AfterAll {
        $env:VAULT_HOME = $previousVaultHome
        $env:VAULT_PKCS11_PIN = $previousPin
        $env:SOFTHSM2_CONF = $previousSoftHsmConf
        if ($softHsmDir) {
            Remove-Item -LiteralPath $softHsmDir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    BeforeEach {
        $VaultHome = Enter-VaultTestHome
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        $env:VAULT_PKCS11_PIN = $null
    }

    AfterEach {
        # Zero the keyrings and forget the PINs this test left in the process.
        try {
            Get-Vault | Lock-Vault
        }
        catch {
            # A vault the test broke on purpose has nothing to lock.
        }
        $env:VAULT_PKCS11_PIN = $previousPin
        Exit-VaultTestHome $VaultHome
    }

    Context 'a vault whose root key is in a token' {
        It 'New-Vault -KeyProtector Pkcs11 round-trips secrets, Get-Vault says where the key is, and no file holds the PIN' {
            $token = Get-FreshToken
            $created = New-Vault -Name hsm-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -Pin (ConvertTo-Pin)
            $created | Should -HaveCount 1
            $created.PSObject.TypeNames[0] | Should -BeExactly 'Vault.VaultInfo'

            Set-VaultSecret hsm-vault db 'first-value'
            Set-VaultSecret hsm-vault db (ConvertTo-SecureString 'second-value' -AsPlainText -Force)
            Get-VaultSecret hsm-vault db -AsPlainText | Should -BeExactly 'second-value'
            (Get-VaultSecret hsm-vault db).SecretValue | Should -BeOfType [securestring]
            Get-AllValues hsm-vault db | Should -BeExactly @('second-value', 'first-value')

            $info = Get-Vault hsm-vault
            $info.KeyProtector | Should -BeExactly 'Pkcs11'
            $info.Pkcs11Library | Should -BeExactly $library
            $info.TokenLabel | Should -BeExactly $token
            $info.TokenSerial | Should -BeExactly $tokenSerials[$token] -Because 'it is the serial number softhsm2-util --show-slots reports'
            $info.KeyLabel | Should -BeExactly 'vault-root-hsm-vault'
            $info.KeyLocation | Should -BeExactly "token '$token' ($($tokenSerials[$token])), key 'vault-root-hsm-vault'"
            $info.WrapMechanism | Should -BeExactly 'CKM_AES_KEY_WRAP_PAD'
            $info.KeyringTerms | Should -Be 1
            $info.Unlocked | Should -BeTrue -Because "the creator's PIN unlocks the new vault for this session"
            Test-Path -LiteralPath "$($info.Path).key" | Should -BeFalse -Because 'the root key is in the token, not in a key file'

            # -KeyLabel names the key in the token.
            (New-Vault -Name labelled-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -KeyLabel 'team-root' -Pin (ConvertTo-Pin)).KeyLabel |
                Should -BeExactly 'team-root'

            $settings = Get-KeyProtectorSettings $info.Path
            $settings.kind | Should -BeExactly 'Pkcs11'
            $settings.tokenLabel | Should -BeExactly $token
            $settings.keyId | Should -Match '^[0-9a-f]{32}$'
            ($settings.PSObject.Properties.Name -join ',') | Should -Not -BeLike '*pin*'

            # The PIN is in no file under VAULT_HOME: UTF-8, UTF-16 or base64. Each needle is a byte
            # sequence held as a Latin-1 string, so an ordinal substring search is a byte search.
            $files = @(Get-ChildItem -LiteralPath $env:VAULT_HOME -Recurse -File -Force)
            $files.Name | Should -Contain 'hsm-vault.vault'
            $files.Name | Should -Contain 'hsm-vault.vault-wal'
            $latin1 = [Text.Encoding]::Latin1
            $needles = @(
                $latin1.GetString([Text.Encoding]::UTF8.GetBytes($userPin))
                $latin1.GetString([Text.Encoding]::Unicode.GetBytes($userPin))
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($userPin))
            )
            foreach ($file in $files) {
                $text = $latin1.GetString((Read-SharedBytes $file.FullName))
                foreach ($needle in $needles) {
                    $text.Contains($needle, [StringComparison]::Ordinal) | Should -BeFalse -Because "the PIN must not be in $($file.FullName)"
                }
            }
        }

        It 'Lock-Vault forgets the PIN: reading is KeyProtectorLocked, and Unlock-Vault -Pin opens it again' {
            New-HsmVault -Name lock-vault -Token (Get-FreshToken) | Out-Null
            $token = (Get-Vault lock-vault).TokenLabel
            Set-VaultSecret lock-vault db 'locked-value'

            Lock-Vault lock-vault | Should -BeNullOrEmpty
            (Get-Vault lock-vault).Unlocked | Should -BeFalse

            $err = { Get-VaultSecret lock-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru
            { Get-VaultSecret lock-vault db -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'KeyProtectorLocked is terminating'
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::ResourceUnavailable)
            $err.TargetObject | Should -BeExactly 'lock-vault'
            $err.Exception.Message | Should -BeLikeExactly '*$env:VAULT_PKCS11_PIN*'
            $err.Exception.Message | Should -BeLikeExactly "*Unlock-Vault -VaultName 'lock-vault'*"
            $err.Exception.Message | Should -BeLikeExactly "*'$token'*"

            # Writing needs the keyring too, and so does listing: every operation opens it for its audit record.
            { Set-VaultSecret lock-vault db 'other' -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.SetVaultSecretCommand'
            { Get-VaultSecret lock-vault -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand'

            Unlock-Vault lock-vault -Pin (ConvertTo-Pin) | Should -BeNullOrEmpty
            (Get-Vault lock-vault).Unlocked | Should -BeTrue
            Get-VaultSecret lock-vault db -AsPlainText | Should -BeExactly 'locked-value'
            Set-VaultSecret lock-vault db 'after-unlock'
            Get-VaultSecret lock-vault db -AsPlainText | Should -BeExactly 'after-unlock'

            # -PassThru, and the pipeline from Get-Vault.
            (Lock-Vault lock-vault -PassThru).Unlocked | Should -BeFalse
            $unlocked = Get-Vault lock-vault | Unlock-Vault -Pin (ConvertTo-Pin) -PassThru
            $unlocked.VaultName | Should -BeExactly 'lock-vault'
            $unlocked.Unlocked | Should -BeTrue
        }

        It '$env:VAULT_PKCS11_PIN opens a locked vault, and New-Vault takes the PIN from it too' {
            New-HsmVault -Name env-vault -Token (Get-FreshToken) | Out-Null
            Set-VaultSecret env-vault db 'env-value'
            Lock-Vault env-vault
            { Get-VaultSecret env-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand'

            $env:VAULT_PKCS11_PIN = $userPin
            Get-VaultSecret env-vault db -AsPlainText | Should -BeExactly 'env-value'
            (Get-Vault env-vault).Unlocked | Should -BeTrue

            # Without -Pin, New-Vault logs in with the variable; the vault opens with it later too.
            $created = New-Vault -Name env-made-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel (Get-Vault env-vault).TokenLabel
            $created.KeyProtector | Should -BeExactly 'Pkcs11'
            Set-VaultSecret env-made-vault db 'made-with-env'
            Lock-Vault env-made-vault
            Get-VaultSecret env-made-vault db -AsPlainText | Should -BeExactly 'made-with-env'

            # Lock-Vault forgets what the session holds; the variable still opens it afterwards.
            Lock-Vault env-vault
            (Get-Vault env-vault).Unlocked | Should -BeFalse
            Get-VaultSecret env-vault db -AsPlainText | Should -BeExactly 'env-value'
        }

        It 'a wrong PIN is HsmLoginFailed, from Unlock-Vault -Pin or from $env:VAULT_PKCS11_PIN, and is not kept' {
            New-HsmVault -Name pin-vault -Token (Get-FreshToken) | Out-Null
            $token = (Get-Vault pin-vault).TokenLabel
            Set-VaultSecret pin-vault db 'pin-value'
            Lock-Vault pin-vault

            $err = { Unlock-Vault pin-vault -Pin (ConvertTo-Pin 'wrong-pin-0000') -ErrorAction Stop } |
                Should -Throw -ErrorId 'HsmLoginFailed,Vault.PowerShell.Commands.UnlockVaultCommand' -PassThru
            { Unlock-Vault pin-vault -Pin (ConvertTo-Pin 'wrong-pin-0000') -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'HsmLoginFailed,Vault.PowerShell.Commands.UnlockVaultCommand' -Because 'HsmLoginFailed is terminating'
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::AuthenticationError)
            $err.TargetObject | Should -BeExactly $token
            $err.Exception.Message | Should -Not -BeLikeExactly '*wrong-pin-0000*'
            (Get-Vault pin-vault).Unlocked | Should -BeFalse
            # The wrong PIN was not kept: the vault is still locked, not failing to log in.
            { Get-VaultSecret pin-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand'

            $env:VAULT_PKCS11_PIN = 'wrong-pin-0000'
            $fromEnv = { Get-VaultSecret pin-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'HsmLoginFailed,Vault.PowerShell.Commands.GetVaultSecretCommand' -PassThru
            { Get-VaultSecret pin-vault db -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'HsmLoginFailed,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'HsmLoginFailed is terminating'
            $fromEnv.TargetObject | Should -BeExactly $token

            # A PIN given to Unlock-Vault wins over the variable.
            Unlock-Vault pin-vault -Pin (ConvertTo-Pin)
            Get-VaultSecret pin-vault db -AsPlainText | Should -BeExactly 'pin-value'
        }
    }

    Context 'New-Vault refuses key protector options that cannot work' {
        It 'New-Vault with <Case> is <ErrorId>, and leaves no vault and no file' -ForEach $creationFailures {
            $expectedTarget = if ($null -ne $Target) { $Target.Replace('<token>', $failureToken).Replace('<conf>', $softHsmConf) } else { $null }

            $stopping = [scriptblock]::Create("New-Vault -Name bad-vault $Arguments -ErrorAction Stop")
            $err = { & $stopping } | Should -Throw -ErrorId "$ErrorId,Vault.PowerShell.Commands.NewVaultCommand" -PassThru
            $err.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]$Category)
            $err.TargetObject | Should -Be $expectedTarget
            [string]::IsNullOrWhiteSpace($err.Exception.Message) | Should -BeFalse
            $err.Exception.Message | Should -Not -BeLikeExactly "*$userPin*"

            $tolerant = [scriptblock]::Create("New-Vault -Name bad-vault $Arguments -ErrorAction SilentlyContinue")
            { & $tolerant } | Should -Throw -ErrorId "$ErrorId,Vault.PowerShell.Commands.NewVaultCommand" -Because "$ErrorId is terminating"

            Get-Vault | Should -BeNullOrEmpty
            # No vault file, key file, -wal or -shm: nothing at all where vault files go.
            Get-ChildItem -LiteralPath $env:VAULT_HOME -Recurse -File -Force | Where-Object Name -NotIn 'vaults.json', 'vaults.json.lock' | Should -BeNullOrEmpty
        }

        It 'the messages say what to do' {
            $noLibrary = { New-Vault -Name bad-vault -KeyProtector Pkcs11 -Pkcs11Library '/nonexistent/libpkcs11.so' -TokenLabel $failureToken -Pin (ConvertTo-Pin) } |
                Should -Throw -PassThru
            $noLibrary.Exception.Message | Should -BeLikeExactly "*'/nonexistent/libpkcs11.so'*-Pkcs11Library*$library*"

            $noToken = { New-Vault -Name bad-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel 'no-such-token' -Pin (ConvertTo-Pin) } |
                Should -Throw -PassThru
            $noToken.Exception.Message | Should -BeLikeExactly "*'no-such-token'*softhsm2-util --show-slots*"

            $noPin = { New-Vault -Name bad-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $failureToken } |
                Should -Throw -PassThru
            $noPin.Exception.Message | Should -BeLikeExactly '*-Pin*$env:VAULT_PKCS11_PIN*'
        }
    }

    Context 'Invoke-VaultKeyRotation' {
        It '-Target DataKey (the default) adds a keyring term; old versions stay readable' {
            New-HsmVault -Name rot-vault -Token (Get-FreshToken) | Out-Null
            Set-VaultSecret rot-vault db 'before-rotation'
            Set-VaultSecret rot-vault api 'untouched'

            Invoke-VaultKeyRotation rot-vault -Force | Should -BeNullOrEmpty
            (Get-Vault rot-vault).KeyringTerms | Should -Be 2
            Set-VaultSecret rot-vault db 'after-rotation'
            Get-AllValues rot-vault db | Should -BeExactly @('after-rotation', 'before-rotation')
            Get-VaultSecret rot-vault api -AsPlainText | Should -BeExactly 'untouched'

            $path = (Get-Vault rot-vault).Path
            Invoke-VaultSql $path 'SELECT group_concat(term) FROM (SELECT term FROM secret_version ORDER BY seq);' | Should -BeExactly '1,1,2'
            Invoke-VaultSql $path "SELECT group_concat(mechanism) FROM (SELECT mechanism FROM keyring ORDER BY term);" |
                Should -BeExactly 'CKM_AES_KEY_WRAP_PAD,CKM_AES_KEY_WRAP_PAD' -Because 'each term is wrapped by the token'

            $verbose = Invoke-VaultKeyRotation rot-vault -Target DataKey -Force -PassThru -Verbose 4>&1
            $info = $verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
            $info.KeyringTerms | Should -Be 3
            $info.WrapMechanism | Should -BeExactly 'CKM_AES_KEY_WRAP_PAD'
            ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message |
                Should -Contain "Vault 'rot-vault' now writes with keyring term 3."

            # As another process would: nothing held in memory, the PIN from the environment.
            Lock-Vault rot-vault
            $env:VAULT_PKCS11_PIN = $userPin
            Get-AllValues rot-vault db | Should -BeExactly @('after-rotation', 'before-rotation')
            Get-VaultSecret rot-vault api -AsPlainText | Should -BeExactly 'untouched'
        }

        It '-ReencryptSecrets moves every version onto the new term' {
            New-HsmVault -Name re-vault -Token (Get-FreshToken) | Out-Null
            foreach ($name in 'db', 'api', 'cert') {
                Set-VaultSecret re-vault $name "$name-1"
                Set-VaultSecret re-vault $name "$name-2"
            }
            Remove-VaultSecret re-vault cert -Force

            $verbose = Invoke-VaultKeyRotation re-vault -ReencryptSecrets -Force -Verbose 4>&1
            $verbose.Message | Should -Contain 'Re-encrypted 6 secret version(s) onto the newest keyring term.' -Because 'deleted secrets are re-encrypted too'
            (Get-Vault re-vault).KeyringTerms | Should -Be 2
            $path = (Get-Vault re-vault).Path
            Invoke-VaultSql $path 'SELECT count(*) FROM secret_version WHERE term <> 2;' | Should -Be 0

            Lock-Vault re-vault
            $env:VAULT_PKCS11_PIN = $userPin
            Get-AllValues re-vault db | Should -BeExactly @('db-2', 'db-1')
            Get-AllValues re-vault api | Should -BeExactly @('api-2', 'api-1')
            Undo-VaultSecretRemoval re-vault cert | Out-Null
            Get-AllValues re-vault cert | Should -BeExactly @('cert-2', 'cert-1')
        }

        It '-ResumeReencryption moves what is left without a new term; a damaged version is reported, not a blocker' {
            New-HsmVault -Name res-vault -Token (Get-FreshToken) | Out-Null
            1..300 | ForEach-Object { Set-VaultSecret res-vault "s$($_ % 10)" "value-$_" }
            $path = (Get-Vault res-vault).Path

            # A rotation without re-encryption leaves every version on term 1, as an interrupted one would.
            Invoke-VaultKeyRotation res-vault -Force
            (Get-Vault res-vault).KeyringTerms | Should -Be 2
            Invoke-VaultSql $path 'SELECT count(*) FROM secret_version WHERE term = 1;' | Should -Be 300

            # The newest version is damaged (as a bad sector would): it is reported and stays on its
            # term; the other 299 move.
            $last = Invoke-VaultSql $path 'SELECT max(seq) FROM secret_version;'
            $sealed = Invoke-VaultSql $path "SELECT hex(value) FROM secret_version WHERE seq = $last;"
            $null = Invoke-VaultSql $path "UPDATE secret_version SET value = zeroblob(length(value)) WHERE seq = $last;"
            $verbose = Invoke-VaultKeyRotation res-vault -ResumeReencryption -Force -Verbose -ErrorVariable damaged -ErrorAction SilentlyContinue 4>&1
            $verbose.Message | Should -Contain 'Re-encrypted 299 secret version(s) onto the newest keyring term.'
            $damaged | Should -HaveCount 1
            $damaged[0].FullyQualifiedErrorId | Should -BeExactly 'SecretIntegrityFailed,Vault.PowerShell.Commands.InvokeVaultKeyRotationCommand'
            (Get-Vault res-vault).KeyringTerms | Should -Be 2
            Invoke-VaultSql $path 'SELECT count(*) FROM secret_version WHERE term = 1;' | Should -Be 1

            # Repaired, it is moved by the next run.
            $null = Invoke-VaultSql $path "UPDATE secret_version SET value = x'$sealed' WHERE seq = $last;"
            (Invoke-VaultKeyRotation res-vault -ResumeReencryption -Force -Verbose 4>&1).Message |
                Should -Contain 'Re-encrypted 1 secret version(s) onto the newest keyring term.'
            Invoke-VaultSql $path 'SELECT count(*) FROM secret_version WHERE term <> 2;' | Should -Be 0

            { Invoke-VaultKeyRotation res-vault -ResumeReencryption -Target RootKey -Force } |
                Should -Throw -ErrorId 'AmbiguousParameterSet,Vault.PowerShell.Commands.InvokeVaultKeyRotationCommand'

            Lock-Vault res-vault
            $env:VAULT_PKCS11_PIN = $userPin
            Get-VaultSecret res-vault s0 -AsPlainText | Should -BeExactly 'value-300'
            $s1 = @(Get-AllValues res-vault s1)
            $s1 | Should -HaveCount 30
            $s1[0] | Should -BeExactly 'value-291'
            $s1[-1] | Should -BeExactly 'value-1'
        }

        It '-Target RootKey makes a new key in the token; old and new versions open with it after Lock-Vault' {
            $token = Get-FreshToken
            New-HsmVault -Name root-vault -Token $token | Out-Null
            Set-VaultSecret root-vault db 'before-root-rotation'
            $path = (Get-Vault root-vault).Path
            $before = Get-KeyProtectorSettings $path
            $wrappedBefore = Invoke-VaultSql $path 'SELECT hex(wrapped_key) FROM keyring WHERE term = 1;'

            $info = Invoke-VaultKeyRotation root-vault -Target RootKey -Force -PassThru
            $info.KeyProtector | Should -BeExactly 'Pkcs11'
            $info.TokenLabel | Should -BeExactly $token
            $info.TokenSerial | Should -BeExactly $tokenSerials[$token]
            $info.KeyLabel | Should -BeExactly 'vault-root-root-vault-r2' -Because 'a rotated root key gets a label of its own'
            $info.KeyringTerms | Should -Be 1 -Because 'a root key rotation re-wraps the keyring; it adds no term'
            $after = Get-KeyProtectorSettings $path
            $after.keyId | Should -Not -BeExactly $before.keyId
            Invoke-VaultSql $path 'SELECT hex(wrapped_key) FROM keyring WHERE term = 1;' | Should -Not -BeExactly $wrappedBefore
            Set-VaultSecret root-vault db 'after-root-rotation'

            # What a fresh pwsh would do: nothing in memory, the PIN from the environment.
            Lock-Vault root-vault
            { Get-VaultSecret root-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand'
            $env:VAULT_PKCS11_PIN = $userPin
            Get-AllValues root-vault db | Should -BeExactly @('after-root-rotation', 'before-root-rotation')

            # A locked vault's root key can be rotated with the PIN from the environment too.
            Lock-Vault root-vault
            Invoke-VaultKeyRotation root-vault -Target RootKey -Force
            (Get-KeyProtectorSettings $path).keyId | Should -Not -BeIn @($before.keyId, $after.keyId)
            Lock-Vault root-vault
            Get-AllValues root-vault db | Should -BeExactly @('after-root-rotation', 'before-root-rotation')
        }
    }

    Context 'Set-VaultKeyProtector' {
        It 'moves a vault from its key file into a token and back, its values readable each way' {
            $token = Get-FreshToken
            New-Vault -Name mig-vault | Out-Null
            Set-VaultSecret mig-vault db 'term-1-value'
            Invoke-VaultKeyRotation mig-vault -Force
            Set-VaultSecret mig-vault db 'term-2-value'
            $path = (Get-Vault mig-vault).Path
            $keyFile = "$path.key"
            Test-Path -LiteralPath $keyFile | Should -BeTrue

            # Without a PIN nothing moves.
            { Set-VaultKeyProtector mig-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -Force -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'InvalidKeyProtectorOptions,Vault.PowerShell.Commands.SetVaultKeyProtectorCommand'
            (Get-Vault mig-vault).KeyProtector | Should -BeExactly 'Software'
            Test-Path -LiteralPath $keyFile | Should -BeTrue

            $onToken = Set-VaultKeyProtector mig-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -Pin (ConvertTo-Pin) -Force -PassThru
            $onToken.KeyProtector | Should -BeExactly 'Pkcs11'
            $onToken.TokenLabel | Should -BeExactly $token
            $onToken.TokenSerial | Should -BeExactly $tokenSerials[$token]
            $onToken.KeyLabel | Should -BeExactly 'vault-root-mig-vault'
            $onToken.WrapMechanism | Should -BeExactly 'CKM_AES_KEY_WRAP_PAD'
            $onToken.KeyringTerms | Should -Be 2
            $onToken.Unlocked | Should -BeTrue
            Test-Path -LiteralPath $keyFile | Should -BeFalse -Because 'a key file protects nothing once the root of trust is in the token'
            Get-AllValues mig-vault db | Should -BeExactly @('term-2-value', 'term-1-value')

            # Now the token is needed.
            Lock-Vault mig-vault
            { Get-VaultSecret mig-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorLocked,Vault.PowerShell.Commands.GetVaultSecretCommand'
            $env:VAULT_PKCS11_PIN = $userPin
            Get-AllValues mig-vault db | Should -BeExactly @('term-2-value', 'term-1-value')
            Set-VaultSecret mig-vault db 'on-token-value'

            $unchanged = { Set-VaultKeyProtector mig-vault -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorUnchanged,Vault.PowerShell.Commands.SetVaultKeyProtectorCommand' -PassThru
            $unchanged.Exception.Message | Should -BeLikeExactly '*Invoke-VaultKeyRotation -Target RootKey*'

            $back = Set-VaultKeyProtector mig-vault -KeyProtector Software -Force -PassThru
            $back.KeyProtector | Should -BeExactly 'Software'
            $back.TokenLabel | Should -BeNullOrEmpty
            $back.KeyLocation | Should -BeExactly $keyFile
            (Get-Item -LiteralPath $keyFile).Length | Should -Be 32

            # Back on the key file, no PIN is needed.
            $env:VAULT_PKCS11_PIN = $null
            Lock-Vault mig-vault
            Get-AllValues mig-vault db | Should -BeExactly @('on-token-value', 'term-2-value', 'term-1-value')
        }
    }

    Context 'Export-VaultKeyring and Import-VaultKeyring' {
        It 'a keyring export brings back a vault whose key file is lost' {
            New-Vault -Name exp-vault | Out-Null
            Set-VaultSecret exp-vault db 'export-1'
            Invoke-VaultKeyRotation exp-vault -Force
            Set-VaultSecret exp-vault db 'export-2'
            $path = (Get-Vault exp-vault).Path
            $export = Join-Path $VaultHome 'exp-vault.keyring'

            $weak = { Export-VaultKeyring exp-vault $export -Password (ConvertTo-SecureString 'short' -AsPlainText -Force) -ErrorAction Stop } |
                Should -Throw -ErrorId 'WeakKeyringPassword,Vault.PowerShell.Commands.ExportVaultKeyringCommand' -PassThru
            { Export-VaultKeyring exp-vault $export -Password (ConvertTo-SecureString 'short' -AsPlainText -Force) -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'WeakKeyringPassword,Vault.PowerShell.Commands.ExportVaultKeyringCommand' -Because 'WeakKeyringPassword is terminating'
            $weak.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
            $weak.Exception.Message | Should -BeLikeExactly '*at least 8 characters*'
            Test-Path -LiteralPath $export | Should -BeFalse

            $file = Export-VaultKeyring exp-vault $export -Password $keyringPassword
            $file | Should -BeOfType [System.IO.FileInfo]
            $file.FullName | Should -BeExactly $export

            # The key file is lost, and this session forgets the keyring it held.
            Remove-Item -LiteralPath "$path.key"
            Lock-Vault exp-vault
            { Get-VaultSecret exp-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorUnavailable,Vault.PowerShell.Commands.GetVaultSecretCommand'
            { Get-VaultSecret exp-vault db -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'KeyProtectorUnavailable,Vault.PowerShell.Commands.GetVaultSecretCommand' -Because 'KeyProtectorUnavailable is terminating'

            $wrong = { Import-VaultKeyring exp-vault $export -Password (ConvertTo-SecureString 'wrong password!' -AsPlainText -Force) -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyringBackupInvalid,Vault.PowerShell.Commands.ImportVaultKeyringCommand' -PassThru
            $wrong.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidData)
            $wrong.TargetObject | Should -BeExactly $export
            $wrong.Exception.Message | Should -BeLikeExactly '*password is wrong*'
            { Import-VaultKeyring exp-vault $export -Password (ConvertTo-SecureString 'wrong password!' -AsPlainText -Force) -Force -ErrorAction SilentlyContinue } |
                Should -Not -Throw -Because 'KeyringBackupInvalid is non-terminating'
            Test-Path -LiteralPath "$path.key" | Should -BeFalse
            { Get-VaultSecret exp-vault db -ErrorAction Stop } |
                Should -Throw -ErrorId 'KeyProtectorUnavailable,Vault.PowerShell.Commands.GetVaultSecretCommand'

            $restored = Import-VaultKeyring exp-vault $export -Password $keyringPassword -Force -PassThru
            $restored.KeyProtector | Should -BeExactly 'Software'
            $restored.KeyringTerms | Should -Be 2
            (Get-Item -LiteralPath "$path.key").Length | Should -Be 32
            Get-AllValues exp-vault db | Should -BeExactly @('export-2', 'export-1')
            Set-VaultSecret exp-vault db 'export-3'
            Lock-Vault exp-vault
            Get-AllValues exp-vault db | Should -BeExactly @('export-3', 'export-2', 'export-1')
        }

        It 'a keyring export puts a vault whose key file is lost into a token' {
            $token = Get-FreshToken
            New-Vault -Name rec-vault | Out-Null
            Set-VaultSecret rec-vault db 'recovered-value'
            $path = (Get-Vault rec-vault).Path
            $export = Join-Path $VaultHome 'rec-vault.keyring'
            Export-VaultKeyring rec-vault $export -Password $keyringPassword | Out-Null
            Remove-Item -LiteralPath "$path.key"
            Lock-Vault rec-vault

            $info = Import-VaultKeyring rec-vault $export -Password $keyringPassword -KeyProtector Pkcs11 -Pkcs11Library $library -TokenLabel $token -Pin (ConvertTo-Pin) -Force -PassThru
            $info.KeyProtector | Should -BeExactly 'Pkcs11'
            $info.TokenLabel | Should -BeExactly $token
            $info.WrapMechanism | Should -BeExactly 'CKM_AES_KEY_WRAP_PAD'
            $info.Unlocked | Should -BeTrue -Because 'the PIN given to the import unlocks the vault for this session'
            Get-VaultSecret rec-vault db -AsPlainText | Should -BeExactly 'recovered-value'
            Test-Path -LiteralPath "$path.key" | Should -BeFalse

            Lock-Vault rec-vault
            $env:VAULT_PKCS11_PIN = $userPin
            Get-VaultSecret rec-vault db -AsPlainText | Should -BeExactly 'recovered-value'
        }
    }

    Context 'ForEach-Object -Parallel' {
        It 'runspaces that import the module each read and write an HSM-backed vault with $env:VAULT_PKCS11_PIN' {
            New-HsmVault -Name par-vault -Token (Get-FreshToken) | Out-Null
            Set-VaultSecret par-vault db 'shared-value'
            # Nothing held in memory: the first runspaces to read open the token with the variable.
            Lock-Vault par-vault
            $env:VAULT_PKCS11_PIN = $userPin
            $modulePath = $manifest

            $results = 1..8 | ForEach-Object -ThrottleLimit 4 -Parallel {
                $index = $_
                $ErrorActionPreference = 'Stop'
                try {
                    Import-Module $using:modulePath
                    $shared = Get-VaultSecret -VaultName par-vault -Name db -AsPlainText
                    Set-VaultSecret -VaultName par-vault -Name "own-$index" -SecretValue "own-value-$index"
                    [pscustomobject]@{ Index = $index; Shared = $shared; Own = (Get-VaultSecret -VaultName par-vault -Name "own-$index" -AsPlainText); Failure = $null }
                }
                catch {
                    [pscustomobject]@{ Index = $index; Shared = $null; Own = $null; Failure = "$($_.FullyQualifiedErrorId): $_" }
                }
            }

            $results | Should -HaveCount 8
            $results.Failure | Where-Object { $_ } | Should -BeNullOrEmpty
            $results.Shared | Should -BeExactly (@('shared-value') * 8)
            foreach ($result in $results) {
                $result.Own | Should -BeExactly "own-value-$($result.Index)"
            }
            (Get-VaultSecret par-vault).Name | Should -HaveCount 9
            (Get-Vault par-vault).Unlocked | Should -BeTrue
        }
    }

    Context '-WhatIf' {
        BeforeEach {
            New-HsmVault -Name wi-vault -Token $whatIfToken | Out-Null
            Set-VaultSecret wi-vault db 'whatif-1'
            Invoke-VaultKeyRotation wi-vault -Force
            Set-VaultSecret wi-vault db 'whatif-2'
            Export-VaultKeyring wi-vault (Join-Path $VaultHome 'wi.keyring') -Password $keyringPassword | Out-Null
            New-Vault -Name sw-vault | Out-Null
            Set-VaultSecret sw-vault db 'software-1'
            Export-VaultKeyring sw-vault (Join-Path $VaultHome 'sw.keyring') -Password $keyringPassword | Out-Null

            function Get-WhatIfState {
                @(
                    Get-VaultFingerprint wi-vault
                    Get-VaultFingerprint sw-vault
                    Get-ChildItem -LiteralPath $env:VAULT_HOME -Recurse -File -Name | Sort-Object
                    Get-Content -LiteralPath (Join-Path $env:VAULT_HOME 'vaults.json') -Raw
                ) -join "`n"
            }
        }

        It '<Command> -WhatIf changes nothing and says what it would do' -ForEach $whatIfCommands {
            $before = Get-WhatIfState

            $whatIf = Invoke-WhatIf $Command
            $whatIf.Output | Should -BeNullOrEmpty
            $whatIf.Shown | Should -BeLike "*What if: Performing the operation `"$Action`" on target *"
            Get-WhatIfState | Should -BeExactly $before
            Get-AllValues wi-vault db | Should -BeExactly @('whatif-2', 'whatif-1')
            Get-VaultSecret sw-vault db -AsPlainText | Should -BeExactly 'software-1'
        }
    }
}
