using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Unregister-Vault: forgets a vault for the current user; its files stay where they are.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "Vault", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class UnregisterVaultCommand : VaultCmdlet
{
    /// <summary>The vault to forget.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VaultName")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var name = Manager.RegisteredName(Name);
        if (ShouldProcess(name, "Unregister vault (its files are kept)"))
        {
            Manager.UnregisterVault(name);
        }
    });
}
