@{
    # The build copies this manifest to out/Vault/ and stamps ModuleVersion from Directory.Build.props.
    RootModule           = 'bin/Vault.PowerShell.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '7d2c6b0e-2f5a-4c1e-9a51-3b8f0e6d9c41'
    Author               = 'Vault contributors'
    CompanyName          = 'Vault'
    Copyright            = '(c) Vault contributors. MIT License.'
    Description          = 'A self-hosted key vault for PowerShell, in the manner of Azure Key Vault: versioned secrets in SQLite, encrypted with AES-256-GCM under a root key held in a key file or a PKCS#11 HSM, with key rotation, role-based access control, a tamper-evident audit log, soft delete, purge protection, backup and restore.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.6'
    FormatsToProcess     = @('Vault.format.ps1xml')
    TypesToProcess       = @('Vault.types.ps1xml')
    CmdletsToExport      = @(
        'New-Vault'
        'Get-Vault'
        'Update-Vault'
        'Register-Vault'
        'Unregister-Vault'
        'Remove-Vault'
        'Set-VaultDefault'
        'Set-VaultSecret'
        'Get-VaultSecret'
        'Update-VaultSecret'
        'Remove-VaultSecret'
        'Undo-VaultSecretRemoval'
        'Backup-VaultSecret'
        'Restore-VaultSecret'
        'Unlock-Vault'
        'Lock-Vault'
        'Invoke-VaultKeyRotation'
        'Set-VaultKeyProtector'
        'Export-VaultKeyring'
        'Import-VaultKeyring'
        'Get-VaultContext'
        'Get-VaultRoleDefinition'
        'New-VaultRoleDefinition'
        'Remove-VaultRoleDefinition'
        'Get-VaultRoleAssignment'
        'New-VaultRoleAssignment'
        'Remove-VaultRoleAssignment'
        'Test-VaultAccess'
        'Get-VaultAuditLog'
        'Export-VaultAuditLog'
        'Get-VaultAuditHead'
        'Test-VaultAuditLog'
        'Test-Vault'
        'Get-VaultAuditHash'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Vault', 'Secrets', 'KeyVault', 'Encryption', 'HSM', 'PKCS11', 'RBAC', 'Audit', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://example.invalid/vault'
            ReleaseNotes = 'Versioned secrets, soft delete, backup and restore; root key in a key file or a PKCS#11 token; key rotation, protector migration, keyring export and import; role-based access control; a tamper-evident audit log (query, export to a SIEM, verification against an anchored head).'
        }
    }
}
