using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>New-Vault: creates a vault file with its root key (a key file beside it, or a key in a PKCS#11 token), and registers it.</summary>
[Cmdlet(VerbsCommon.New, "Vault", SupportsShouldProcess = true)]
[OutputType(typeof(VaultInfo))]
public sealed class NewVaultCommand : KeyProtectorCmdlet
{
    /// <summary>The vault's name: 3-24 letters, digits and hyphens.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("VaultName")]
    public string Name { get; set; } = string.Empty;

    /// <summary>Where to create the vault file; by default <c>vaults/&lt;name&gt;.vault</c> in the Vault home folder.</summary>
    [Parameter(Position = 1)]
    public string? Path { get; set; }

    /// <summary>Days a deleted secret stays recoverable: 7 to 90.</summary>
    [Parameter]
    public int SoftDeleteRetentionInDays { get; set; } = SecretRules.DefaultRetentionDays;

    /// <summary>Forbids purging deleted secrets before their retention ends. Cannot be turned off later.</summary>
    [Parameter]
    public SwitchParameter EnablePurgeProtection { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = Path is null ? null : ResolvePath(Path);
        Try(() =>
        {
            // Bad arguments are refused before -WhatIf reports what would be done.
            SecretRules.ValidateVaultName(Name);
            SecretRules.ValidateRetention(SoftDeleteRetentionInDays);
            if (ShouldProcess(Name, path is null ? "Create vault" : $"Create vault at '{path}'"))
            {
                WriteObject(Manager.CreateVault(Name, path, SoftDeleteRetentionInDays, EnablePurgeProtection.IsPresent, ProtectorOptions(), Request));
            }
        });
    }
}
