<#
.SYNOPSIS
    Vault's quick start: the Azure CLI session of the Key Vault article, in PowerShell.

.DESCRIPTION
    Makes a vault (once), stores a database connection string in it, lists the secrets and shows
    the value: az keyvault secret set / list / show, as Vault's cmdlets. Run it again and it stores
    a new version of the same secret.

.EXAMPLE
    pwsh -NoProfile -File docs/quickstart.ps1
#>
[CmdletBinding()]
param(
    [string] $VaultName = 'sans-creditunion-vault',
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/Vault/Vault.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

# A vault of your own: a SQLite file and its root key under $env:VAULT_HOME (or your local data folder).
if (-not (Get-Vault -Name $VaultName -ErrorAction SilentlyContinue)) {
    New-Vault -Name $VaultName | Out-Null
}

# az keyvault secret set --vault-name sans-creditunion-vault --name Database --value "..."
$connectionString = ConvertTo-SecureString 'Server=172.17.0.2;database=CreditUnion;uid=credituser;pwd=dev$3c0psForTheWin' -AsPlainText -Force
Set-VaultSecret -VaultName $VaultName -Name Database -SecretValue $connectionString -ContentType 'connection-string'

# az keyvault secret list --vault-name sans-creditunion-vault
Get-VaultSecret -VaultName $VaultName

# az keyvault secret show --vault-name sans-creditunion-vault --name Database | jq -r '.value'
Get-VaultSecret -VaultName $VaultName -Name Database -AsPlainText
