using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Test-VaultAuditLog: verifies a vault's audit chain (every record's HMAC, every link, no gap, the
/// head) and, given an anchored head, that the log still reaches it. A log that fails is output and
/// also written as the error AuditLogTampered, so <c>-ErrorAction Stop</c> stops a runbook.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "VaultAuditLog")]
[OutputType(typeof(VaultAuditVerification))]
public sealed class TestVaultAuditLogCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>A head kept earlier (from Get-VaultAuditHead, or its string form <c>&lt;sequence&gt;:&lt;hmac&gt;</c>) that the log must still reach.</summary>
    [Parameter(Position = 1)]
    [AuditHeadTransformation]
    public VaultAuditHead? ExpectedHead { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var expected = ExpectedHead is null ? null : AuditHeadTransformationAttribute.Check(ExpectedHead, this);
        var vault = OpenVault(VaultName);
        var result = vault.VerifyAuditLog(expected);
        WriteObject(result);
        if (!result.IsValid)
        {
            WriteError(new ErrorRecord(
                new InvalidDataException($"The audit log of vault '{result.VaultName}' fails verification. {result.Message}"),
                "AuditLogTampered", ErrorCategory.InvalidData, result.VaultName)
            {
                ErrorDetails = new ErrorDetails($"The audit log of vault '{result.VaultName}' fails verification. {result.Message}")
                {
                    RecommendedAction = "Treat the vault file as tampered with: keep a copy for investigation, and compare it with your backups and the records exported to your SIEM.",
                },
            });
        }
    });
}
