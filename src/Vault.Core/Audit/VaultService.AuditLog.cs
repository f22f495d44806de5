using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>Reading the audit log: query, head, verification, a value's HMAC. Each needs Vault/audit/read/action and is itself recorded.</summary>
public sealed partial class VaultService
{
    /// <summary>
    /// Streams records, newest first (oldest first for an export), one row at a time. The read's own
    /// record is written first and is not among what it returns.
    /// </summary>
    public IEnumerable<VaultAuditRecord> GetAuditLog(AuditLogQuery? query = null, bool export = false)
    {
        query ??= new AuditLogQuery();
        var operation = Operation(export ? AuditOperations.AuditLogExport : AuditOperations.AuditLogRead)
            .Property("start", query.Start?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))
            .Property("end", query.End?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))
            .Property("last", query.Last?.ToString(CultureInfo.InvariantCulture))
            .Property("principalName", query.PrincipalName)
            .Property("operationName", query.OperationName)
            .Property("secretName", query.SecretName)
            .Property("resultType", query.ResultType?.ToString())
            .Property("correlationId", NormalizeCorrelationId(query.CorrelationId));
        var (stored, recordId) = Run(operation, op =>
        {
            // Inside the record, as a bad secret name is: a refused query is an operation too.
            var validated = Validate(query);
            Authorize(VaultActions.AuditRead, RbacScope.Root);
            op.Commit();
            return (validated, op.RecordId);
        });
        return StreamAudit(stored with { BeforeId = recordId });
    }

    private IEnumerable<VaultAuditRecord> StreamAudit(AuditQuery query)
    {
        using var db = vault.Store.Connect();
        foreach (var row in db.Audit.Query(query))
        {
            Request.Cancellation.ThrowIfCancellationRequested();
            yield return ToRecord(row);
        }
    }

    private static AuditQuery Validate(AuditLogQuery query)
    {
        if (query.Last is <= 0)
        {
            throw VaultErrors.InvalidAuditQuery("Last", $"it must be 1 or more; {query.Last} was given.");
        }

        if (query.Start is { } start && query.End is { } end && start.ToUniversalTime() > end.ToUniversalTime())
        {
            throw VaultErrors.InvalidAuditQuery("Start", $"Start ({start:O}) is after End ({end:O}); give a Start before End.");
        }

        var operation = query.OperationName is { } asked
            ? AuditOperations.All.FirstOrDefault(o => string.Equals(o, asked, StringComparison.OrdinalIgnoreCase))
                ?? throw VaultErrors.InvalidAuditQuery("OperationName", $"'{asked}' is not an operation Vault records. Use one of: {string.Join(", ", AuditOperations.All)}.")
            : null;

        var principal = query.PrincipalName;
        var byId = principal is not null && Principal.IsId(principal);
        return new AuditQuery
        {
            Start = query.Start is { } s ? UnixTime.ToMs(s) : null,
            End = query.End is { } e ? UnixTime.ToMs(e) : null,
            Last = query.Last,
            CallerName = byId ? null : principal,
            CallerId = byId ? principal : null,
            Operation = operation,
            ObjectKind = query.SecretName is null ? null : ObjectKind.Secret,
            ObjectName = query.SecretName,
            ResultType = query.ResultType?.ToString(),
            CorrelationId = NormalizeCorrelationId(query.CorrelationId),
            OldestFirst = query.OldestFirst,
        };
    }

    /// <summary>Correlation ids are stored as lowercase GUIDs: one typed in capitals still matches.</summary>
    private static string? NormalizeCorrelationId(string? id) =>
        id is not null && Guid.TryParse(id, out var guid) ? guid.ToString("D") : id;

    /// <summary>The head after this read's own record: anchor it elsewhere, check it later with <see cref="VerifyAuditLog"/>.</summary>
    public VaultAuditHead GetAuditHead() => Run(Operation(AuditOperations.AuditHeadGet).Requires(VaultActions.AuditRead), op =>
    {
        op.Commit();
        using var read = vault.Store.Connect();
        // No head after a record is written means someone deleted it (the record went in unchained):
        // the empty log's head, which VerifyAuditLog reports as Edited before it compares anything.
        var head = read.Audit.ReadHead() ?? new AuditHeadRow(0, AuditChain.Genesis, Now, []);
        return Head(head);
    });

    /// <summary>
    /// Walks the chain in the order records were written, one row at a time: every HMAC, every link,
    /// no gap, the head, and an anchored head if given. Names the first bad sequence number.
    /// </summary>
    public VaultAuditVerification VerifyAuditLog(VaultAuditHead? expected = null) =>
        Run(Operation(AuditOperations.AuditLogVerify).Property("expectedHead", expected?.ToString()).Requires(VaultActions.AuditRead), op =>
        {
            var result = AuditVerifier.Verify(vault.Store, op.Barrier, VaultName, expected, Head);
            op.Description = result.Message;
            return result;
        });

    /// <summary>A value's HMAC under the audit hash key: the <c>valueHmac</c> a SecretSet record holds for it.</summary>
    public string AuditHash(SecureString value) => Run(Operation(AuditOperations.AuditHashCompute).Requires(VaultActions.AuditRead), op =>
    {
        var plaintext = SecretValue.ToUtf8(value, "Value");
        try
        {
            return op.Barrier.ValueHmac(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    });

    /// <summary>
    /// As <see cref="AuditHash(SecureString)"/>, for a value of any type: the HMAC of its stored form,
    /// which is what the SecretSet record of a version set with that value holds.
    /// </summary>
    public string AuditHash(SecretContent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var stored = value.Encode("Value");
        try
        {
            return Run(Operation(AuditOperations.AuditHashCompute).Requires(VaultActions.AuditRead), stored.WrittenSpan, (op, v) => op.Barrier.ValueHmac(v));
        }
        finally
        {
            stored.Clear();
        }
    }

    private VaultAuditHead Head(AuditHeadRow head) => new()
    {
        VaultName = VaultName,
        VaultId = vault.VaultId,
        SequenceNumber = head.Seq,
        Hmac = Convert.ToHexStringLower(head.Hmac),
        Time = UnixTime.FromMs(head.Time),
    };

    private VaultAuditRecord ToRecord(AuditRow row)
    {
        string? version = null, host = null, machine = null, address = null, requestId = null, userAgent = null;
        int? pid = null;
        if (row.Client is { } client)
        {
            try
            {
                using var json = JsonDocument.Parse(client);
                var root = json.RootElement;
                version = root.TryGetProperty("version", out var v) ? v.GetString() : null;
                host = root.TryGetProperty("host", out var h) ? h.GetString() : null;
                pid = root.TryGetProperty("processId", out var p) && p.TryGetInt32(out var id) ? id : null;
                machine = root.TryGetProperty("machine", out var m) ? m.GetString() : null;
                address = root.TryGetProperty("address", out var a) ? a.GetString() : null;
                requestId = root.TryGetProperty("requestId", out var r) ? r.GetString() : null;
                userAgent = root.TryGetProperty("userAgent", out var u) ? u.GetString() : null;
            }
            catch (JsonException)
            {
                // An edited client field still shows; Test-VaultAuditLog names the edit.
            }
        }

        return new VaultAuditRecord
        {
            VaultName = VaultName,
            SequenceNumber = row.Seq,
            IsChained = row.Seq is not null,
            Time = UnixTime.FromMs(row.Time),
            OperationName = row.Operation,
            CallerId = row.CallerId,
            CallerName = row.CallerName,
            CallerType = row.CallerType,
            TargetId = row.Target,
            SecretName = row.ObjectName,
            ResultType = Enum.TryParse<VaultAuditResultType>(row.ResultType, out var resultType) ? resultType.ToString() : nameof(VaultAuditResultType.Failed),
            ResultSignature = row.ResultSignature,
            Description = row.Description,
            DurationMs = row.DurationUs / 1000.0,
            CorrelationId = row.CorrelationId,
            ClientVersion = version,
            ClientHost = host,
            ClientProcessId = pid,
            ClientMachine = machine,
            ClientAddress = address,
            RequestId = requestId,
            UserAgent = userAgent,
            Properties = AuditEventFormat.ParseProperties(row.Properties),
            Hmac = row.Hmac is null ? null : Convert.ToHexStringLower(row.Hmac),
        };
    }
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
