using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Get-VaultAuditHash: a value's HMAC under the vault's audit hash key ("hmac-sha256:&lt;hex&gt;"), the
/// <c>valueHmac</c> a SecretSet record holds for it: which record set this value, without the log holding it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VaultAuditHash")]
[OutputType(typeof(string))]
public sealed class GetVaultAuditHashCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The value: a SecureString, a PSCredential (its password) or a plain string.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [SecretValueTransformation(ParameterName = "Value")]
    public SecureString Value { get; set; } = new();

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() => WriteObject(OpenVault(VaultName).AuditHash(Value)));
}
