using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Get-Vault: the vaults registered for the current user.</summary>
[Cmdlet(VerbsCommon.Get, "Vault")]
[OutputType(typeof(VaultInfo))]
public sealed class GetVaultCommand : VaultCmdlet
{
    /// <summary>A vault name or wildcard; all vaults when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VaultName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var (_, info, error) in Manager.GetVaults(NamePattern.Parse(Name), Request))
        {
            if (info is not null)
            {
                WriteObject(info);
            }
            else
            {
                // One unreadable (or unknown) vault must not hide the others.
                WriteError(ToErrorRecord(error!));
            }
        }
    }
}
