using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Lock-Vault: zeroes a vault's keyring in this session and forgets its PIN.</summary>
[Cmdlet(VerbsCommon.Lock, "Vault")]
[OutputType(typeof(VaultInfo))]
public sealed class LockVaultCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var info = Manager.Lock(VaultName);
        if (PassThru)
        {
            WriteObject(info);
        }
    });
}
