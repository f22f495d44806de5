using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Remove-VaultSecret: soft-deletes a secret (all versions), or purges a deleted one.</summary>
[Cmdlet(VerbsCommon.Remove, "VaultSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(DeletedVaultSecret))]
public sealed class RemoveVaultSecretCommand : VaultSecretCmdlet
{
    /// <summary>Purges a deleted secret for good. Refused while the vault has purge protection.</summary>
    [Parameter]
    public SwitchParameter InRemovedState { get; set; }

    /// <summary>Removes without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the deleted secret to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenSecretVault();
        if (!FirstInPipeline(vault))
        {
            return;
        }

        var name = vault.FindSecretFor(InRemovedState ? SecretChange.Purge : SecretChange.Delete, Name);
        var target = VaultSecretId.Format(vault.VaultName, name);
        if (InRemovedState)
        {
            if (ShouldProcess(target, "Purge deleted secret (it cannot be recovered afterwards)", Force))
            {
                vault.PurgeSecret(Name);
                WriteVerbose($"Purged secret '{name}'.");
            }

            return;
        }

        if (ShouldProcess(target, "Remove secret (recoverable until its retention ends)", Force))
        {
            var deleted = vault.DeleteSecret(Name);
            WriteVerbose($"Deleted secret '{deleted.Name}'; recoverable until {deleted.ScheduledPurgeDate:u}.");
            if (PassThru)
            {
                WriteObject(deleted);
            }
        }
    });
}
