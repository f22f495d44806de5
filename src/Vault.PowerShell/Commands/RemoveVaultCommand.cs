using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Remove-Vault: deletes a vault's files, its key file included, and forgets it.</summary>
[Cmdlet(VerbsCommon.Remove, "Vault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveVaultCommand : VaultCmdlet
{
    /// <summary>The vault to delete.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VaultName")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Deletes without asking for confirmation; also deletes a vault whose file is damaged (VaultDamaged), unchecked.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        // Before -WhatIf reports: a vault that is not registered is VaultNotFound, as the removal would say.
        var name = Manager.RegisteredName(Name);
        if (!ShouldProcess(name, "Remove vault and delete its files (its software key file too), with every secret in it", Force))
        {
            return;
        }

        switch (Manager.RemoveVault(name, Request, removeDamaged: Force))
        {
            case VaultRemoval.FileWasMissing:
                WriteWarning($"The file of vault '{name}' was not found, so only its registration was removed. A key file beside where the vault was is left in place.");
                break;
            case VaultRemoval.DamagedRemoved:
                WriteWarning($"The file of vault '{name}' was damaged: it and its key file were deleted without the checks that need a readable file (purge protection, your role), and without an audit record, since its log was in that file.");
                break;
        }
    });
}
