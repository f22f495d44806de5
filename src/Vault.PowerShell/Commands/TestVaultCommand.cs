using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Test-Vault: checks everything that decides a vault's behaviour against its MACs (settings,
/// keyring, roles, every secret and version) and its audit chain, and reports every failing object
/// in one pass. Each problem is also written as an error with its own id (MetadataIntegrityFailed,
/// SecretIntegrityFailed, AuditLogTampered), so <c>-ErrorAction Stop</c> stops a runbook.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Vault")]
[OutputType(typeof(VaultIntegrityReport))]
public sealed class TestVaultCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var report = vault.VerifyVault();
        WriteObject(report);
        foreach (var problem in report.Problems)
        {
            var message = $"Vault '{report.VaultName}': {problem.Area} '{problem.Name}' fails verification. {problem.Message}";
            WriteError(new ErrorRecord(new InvalidDataException(message), problem.ErrorId, ErrorCategory.InvalidData, problem.Name)
            {
                ErrorDetails = new ErrorDetails(message)
                {
                    RecommendedAction = "Treat the vault file as tampered with: keep a copy for investigation, restore the file from a backup you trust (or the secret from a Backup-VaultSecret file), and compare its audit log with the records exported to your SIEM.",
                },
            });
        }
    });
}
