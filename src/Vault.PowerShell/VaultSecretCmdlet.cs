using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>The parameters of every cmdlet that acts on one secret by name, bound alike everywhere.</summary>
public abstract class VaultSecretCmdlet : VaultCmdlet
{
    /// <summary>The secrets this command has met in its pipeline (vault and name, case-insensitively).</summary>
    private readonly HashSet<string> met = new(StringComparer.OrdinalIgnoreCase);
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

    /// <summary>
    /// Whether this is the first time the secret comes down this command's pipeline: Get-VaultSecret
    /// -IncludeVersions pipes one object per version, and a command that acts on the whole secret
    /// acts once. A repeat gets a verbose line.
    /// </summary>
    private protected bool FirstInPipeline(VaultService vault)
    {
        if (met.Add(VaultSecretId.Format(vault.VaultName, Name)))
        {
            return true;
        }

        WriteVerbose($"Secret '{Name}' of vault '{vault.VaultName}' was handled earlier in this pipeline: skipped.");
        return false;
    }

    /// <summary>How many secrets this command has met in its pipeline.</summary>
    private protected int SecretsMet => met.Count;
}
