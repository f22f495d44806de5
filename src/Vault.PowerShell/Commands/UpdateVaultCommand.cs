using System.Management.Automation;
using Vault.Core;

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
    protected override void ProcessRecord() => Try(() =>
    {
        int? retention = MyInvocation.BoundParameters.ContainsKey(nameof(SoftDeleteRetentionInDays)) ? SoftDeleteRetentionInDays : null;
        bool? purgeProtection = MyInvocation.BoundParameters.ContainsKey(nameof(EnablePurgeProtection)) ? EnablePurgeProtection.IsPresent : null;
        // Before -WhatIf reports, as the update would: a bad retention, a vault not registered or whose file is gone.
        if (retention is { } days)
        {
            SecretRules.ValidateRetention(days);
        }

        var name = Manager.Open(Name, Request).VaultName;
        if (!ShouldProcess(name, "Update vault settings"))
        {
            return;
        }

        var info = Manager.UpdateVault(name, retention, purgeProtection, Request);
        if (PassThru)
        {
            WriteObject(info);
        }
    });
}
