using System.Management.Automation;

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

    /// <summary>
    /// The value, as Set-VaultSecret takes it: a SecureString, a string, a byte array, a PSCredential
    /// or a hashtable. A value of another type than the one set gives another hash.
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [SecretValueTransformation(ParameterName = "Value")]
    public object Value { get; set; } = null!;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() => WriteObject(OpenVault(VaultName).AuditHash(SecretValues.ToContent(Value, "Value"))));
}
