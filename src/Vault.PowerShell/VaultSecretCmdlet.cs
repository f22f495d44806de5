using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>The parameters of every cmdlet that acts on one secret by name, bound alike everywhere.</summary>
public abstract class VaultSecretCmdlet : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The secret's name: 1-127 letters, digits and hyphens, compared case-insensitively.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("SecretName")]
    [ArgumentCompleter(typeof(Completion.SecretNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Checks -Name (before -WhatIf reports anything) and opens the vault it lives in.</summary>
    private protected VaultService OpenSecretVault()
    {
        SecretRules.ValidateSecretName(Name);
        return OpenVault(VaultName);
    }
}
