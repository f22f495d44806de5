using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Update-Vault: changes soft-delete retention, or turns purge protection on.</summary>
[Cmdlet(VerbsData.Update, "Vault", SupportsShouldProcess = true)]
[OutputType(typeof(VaultInfo))]
public sealed class UpdateVaultCommand : VaultCmdlet
{
    /// <summary>The vault to change.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VaultName")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Days a deleted secret stays recoverable: 7 to 90. Applies to secrets deleted from now on.</summary>
    [Parameter]
    public int SoftDeleteRetentionInDays { get; set; }

    /// <summary>Turns purge protection on. It can never be turned off.</summary>
    [Parameter]
    public SwitchParameter EnablePurgeProtection { get; set; }

    /// <summary>Writes the updated vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        int? retention = MyInvocation.BoundParameters.ContainsKey(nameof(SoftDeleteRetentionInDays)) ? SoftDeleteRetentionInDays : null;
        bool? purgeProtection = MyInvocation.BoundParameters.ContainsKey(nameof(EnablePurgeProtection)) ? EnablePurgeProtection.IsPresent : null;
        if (!ShouldProcess(Name, "Update vault settings"))
        {
            return;
        }

        Try(() =>
        {
            var info = Manager.UpdateVault(Name, retention, purgeProtection, Request);
            if (PassThru)
            {
                WriteObject(info);
            }
        });
    }
}
