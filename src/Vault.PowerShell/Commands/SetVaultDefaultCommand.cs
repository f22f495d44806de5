using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Set-VaultDefault: chooses the vault that secret commands use when -VaultName is omitted.</summary>
[Cmdlet(VerbsCommon.Set, "VaultDefault", SupportsShouldProcess = true)]
[OutputType(typeof(VaultInfo))]
public sealed class SetVaultDefaultCommand : VaultCmdlet
{
    /// <summary>The vault to make the default.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VaultName")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var name = Manager.RegisteredName(Name);
        if (!ShouldProcess(name, "Set as the default vault"))
        {
            return;
        }

        var info = Manager.SetDefault(name);
        if (PassThru)
        {
            WriteObject(info);
        }
    });
}
