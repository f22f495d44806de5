using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Undo-VaultSecretRemoval: recovers a soft-deleted secret with all its versions.</summary>
[Cmdlet(VerbsCommon.Undo, "VaultSecretRemoval", SupportsShouldProcess = true)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class UndoVaultSecretRemovalCommand : VaultSecretCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenSecretVault();
        if (ShouldProcess(VaultSecretId.Format(vault.VaultName, Name), "Recover deleted secret"))
        {
            WriteObject(vault.RecoverSecret(Name));
        }
    });
}
