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
        var name = vault.FindSecretFor(SecretChange.Recover, Name);
        if (ShouldProcess(VaultSecretId.Format(vault.VaultName, name), "Recover deleted secret"))
        {
            WriteObject(vault.RecoverSecret(Name));
        }
    });
}
