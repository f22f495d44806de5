using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Get-VaultAuditLog: a vault's audit records, newest first, streamed one at a time. The read is
/// itself recorded (AuditLogRead) and is not among what it returns.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VaultAuditLog")]
[OutputType(typeof(VaultAuditRecord))]
public sealed class GetVaultAuditLogCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>Only records from this time on.</summary>
    [Parameter]
    public DateTime Start { get; set; }

    /// <summary>Only records up to this time.</summary>
    [Parameter]
    public DateTime End { get; set; }

    /// <summary>Only the newest this many records (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    /// <summary>
    /// Only the records of this caller, by name or id (uid:1000, a SID): the records' CallerName or
    /// CallerId. -PrincipalName, its name before, still works.
    /// </summary>
    [Parameter]
    [Alias("PrincipalName", "PrincipalId", "CallerId")]
    public string? CallerName { get; set; }

    /// <summary>Only records of this operation (SecretGet, SecretSet...).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.OperationNameCompleter))]
    public string? OperationName { get; set; }

    /// <summary>Only records about this secret.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.SecretNameCompleter))]
    public string? SecretName { get; set; }

    /// <summary>Only records with this result: Success, Denied or Failed.</summary>
    [Parameter]
    public VaultAuditResultType ResultType { get; set; }

    /// <summary>Only the records of one pipeline.</summary>
    [Parameter]
    public string? CorrelationId { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        foreach (var record in vault.GetAuditLog(AuditQueries.From(MyInvocation.BoundParameters, Start, End) with
        {
            Last = Bound(nameof(Last)) ? Last : null,
            PrincipalName = CallerName,
            OperationName = OperationName,
            SecretName = SecretName,
            ResultType = Bound(nameof(ResultType)) ? ResultType : null,
            CorrelationId = CorrelationId,
        }))
        {
            WriteObject(record);
        }
    });

    private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
}
