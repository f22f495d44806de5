using Vault.Core.Audit;

namespace Vault.Core;

/// <summary>The audit record every operation leaves: the helpers the operations run through.</summary>
public sealed partial class VaultService
{
    /// <summary>An operation's record in the making; not yet open.</summary>
    internal AuditCall Call(string operation, string? secretName) => new(session, VaultName, Caller, Now, operation, secretName);

    /// <summary>
    /// Runs an operation with its audit record: the keyring opened (a failure there is an unchained
    /// entry), the body run (it commits its change with the record, or the record is written after
    /// it when it changed nothing), a failure or denial recorded on its own.
    /// </summary>
    private T Audited<T>(string operation, string? secretName, Func<AuditCall, T> body)
    {
        var call = Call(operation, secretName).Open();
        try
        {
            var result = body(call);
            call.Finish();
            return result;
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    private void Audited(string operation, string? secretName, Action<AuditCall> body) =>
        Audited(operation, secretName, call =>
        {
            body(call);
            return true;
        });

    /// <summary>For the manager's operations on a vault (update, delete, unlock): the same path.</summary>
    internal T AuditedOperation<T>(string operation, Func<AuditCall, T> body) => Audited(operation, null, body);
}

/// <summary>What Get-VaultAuditLog asks for. Every filter is optional; names compare case-insensitively.</summary>
public sealed record AuditLogQuery
{
    public DateTime? Start { get; init; }
    public DateTime? End { get; init; }
    public int? Last { get; init; }
    public string? PrincipalName { get; init; }
    public string? OperationName { get; init; }
    public string? SecretName { get; init; }
    public VaultAuditResultType? ResultType { get; init; }
    public string? CorrelationId { get; init; }

    /// <summary>Oldest first (an export); newest first otherwise.</summary>
    public bool OldestFirst { get; init; }
}
