using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Get-VaultAuditHead: the last record of a vault's audit chain (its sequence number and HMAC), to
/// keep where the vault's file cannot reach and give to Test-VaultAuditLog -ExpectedHead later.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VaultAuditHead")]
[OutputType(typeof(VaultAuditHead))]
public sealed class GetVaultAuditHeadCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() => WriteObject(OpenVault(VaultName).GetAuditHead()));
}
