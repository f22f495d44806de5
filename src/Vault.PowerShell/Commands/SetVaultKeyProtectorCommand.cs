using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Set-VaultKeyProtector: moves a vault's root of trust to another key protector (a PKCS#11 token, or
/// back to a software key file) by re-wrapping its keyring, in one transaction.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VaultKeyProtector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VaultInfo))]
public sealed class SetVaultKeyProtectorCommand : KeyProtectorCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>Moves without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var options = ProtectorOptions();
        var vault = OpenVault(VaultName);
        var destination = options.IsPkcs11 ? $"token '{options.TokenLabel}' ({options.Pkcs11Library})" : "a software key file";
        if (!ShouldProcess(vault.VaultName, $"Move the root of trust to {destination}", Force))
        {
            return;
        }

        vault.ChangeKeyProtector(options);
        if (PassThru)
        {
            WriteObject(Manager.GetVault(vault.VaultName));
        }
    });
}
