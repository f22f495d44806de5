using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Get-VaultContext: who Vault sees calling (the operating-system account and its groups) and the default vault.</summary>
[Cmdlet(VerbsCommon.Get, "VaultContext")]
[OutputType(typeof(VaultContext))]
public sealed class GetVaultContextCommand : VaultCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord() => WriteObject(Manager.Context());
}
