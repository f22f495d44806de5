using System.Globalization;

namespace Vault;

/// <summary>How an operation ended, as Azure Key Vault's AuditEvent says it.</summary>
public enum VaultAuditResultType
{
    /// <summary>The operation did what was asked.</summary>
    Success,

    /// <summary>The caller's roles did not allow it (ResultSignature Forbidden).</summary>
    Denied,

    /// <summary>It failed: not found, invalid input, an integrity failure, a key protector that could not be used.</summary>
    Failed,
}

/// <summary>One entry of a vault's audit log, shaped like Azure Key Vault's AuditEvent.</summary>
public sealed class VaultAuditRecord
{
    /// <summary>The vault the record was read from, by the name this user knows it by.</summary>
    public required string VaultName { get; init; }

    /// <summary>The position in the HMAC chain (1, 2, 3...); null for an unchained entry.</summary>
    public long? SequenceNumber { get; init; }

    /// <summary>False for a failure recorded before the vault opened (no audit key yet), or a record written while the chain's head was damaged: it is not covered by the chain.</summary>
    public bool IsChained { get; init; }

    /// <summary>When the operation started, UTC, to the millisecond.</summary>
    public required DateTime Time { get; init; }

    /// <summary>SecretGet, SecretSet, SecretList, VaultCreate, KeyRotate, RoleAssignmentCreate, AuditLogRead...</summary>
    public required string OperationName { get; init; }

    /// <summary>The caller's stable id (uid:1000, a SID).</summary>
    public string? CallerId { get; init; }

    /// <summary>The caller's name when it called.</summary>
    public string? CallerName { get; init; }

    /// <summary>User, Group or Application.</summary>
    public string? CallerType { get; init; }

    /// <summary>What the operation was on: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;/&lt;version&gt;</c>, or the vault.</summary>
    public string? TargetId { get; init; }

    /// <summary>The secret the operation named, if any.</summary>
    public string? SecretName { get; init; }

    /// <summary>
    /// Success, Denied or Failed (a <see cref="VaultAuditResultType"/> name). A string, so that
    /// ConvertTo-Json and a SIEM see the name, not the enum's number.
    /// </summary>
    public required string ResultType { get; init; }

    /// <summary>OK, Forbidden, NotFound, InvalidInput, Conflict, IntegrityFailure, Unavailable, Unauthenticated...</summary>
    public required string ResultSignature { get; init; }

    /// <summary>What happened, in words; for a failure, the error id and message (never a secret value).</summary>
    public string? Description { get; init; }

    /// <summary>How long the operation took, in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>Shared by every operation of one pipeline (one command line or one script invocation).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The module version that wrote the record.</summary>
    public string? ClientVersion { get; init; }

    /// <summary>The PowerShell host (ConsoleHost, Default Host, Visual Studio Code Host...).</summary>
    public string? ClientHost { get; init; }

    /// <summary>The process that called.</summary>
    public int? ClientProcessId { get; init; }

    /// <summary>The machine that called.</summary>
    public string? ClientMachine { get; init; }

    /// <summary>Where a server's caller called from; null for a call in this process.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>A server's id for the request; null for a call in this process.</summary>
    public string? RequestId { get; init; }

    /// <summary>A server caller's user agent (the Azure SDK's); null for a call in this process.</summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// Request details by name: a value's HMAC (<c>valueHmac</c>), a pattern, a scope, a role
    /// (<c>$record.Properties.valueHmac</c>); ConvertTo-Json writes them as an object. Null when the
    /// request had none. Stored text that is not such an object (edited outside Vault) is kept whole
    /// under the name <c>(unparsed)</c>; Test-VaultAuditLog names the edit.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>The record's HMAC, hex: the chain's link to the next record.</summary>
    public string? Hmac { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{SequenceNumber?.ToString(CultureInfo.InvariantCulture) ?? "-"} {Time:O} {OperationName} {ResultType}");
}

/// <summary>
/// The last record of a vault's audit chain: its sequence number and HMAC. Keep it somewhere the
/// vault's file cannot reach (a SIEM, a ticket) and give it to <c>Test-VaultAuditLog -ExpectedHead</c>
/// later: a log rolled back to an older copy no longer reaches it. Its string form is
/// <c>&lt;sequence&gt;:&lt;hmac&gt;</c>, which -ExpectedHead also takes.
/// </summary>
public sealed class VaultAuditHead
{
    /// <summary>The vault, by the name this user knows it by.</summary>
    public string? VaultName { get; init; }

    /// <summary>The vault's id, the same for every user.</summary>
    public Guid? VaultId { get; init; }

    /// <summary>The last record's sequence number; 0 for an empty log.</summary>
    public required long SequenceNumber { get; init; }

    /// <summary>The last record's HMAC, hex.</summary>
    public required string Hmac { get; init; }

    /// <summary>When the last record was written.</summary>
    public DateTime? Time { get; init; }

    /// <summary>Reads <c>&lt;sequence&gt;:&lt;hmac&gt;</c>, the form <see cref="ToString"/> writes.</summary>
    public static VaultAuditHead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence < 0
            || parts[1].Length != 64 || !parts[1].All(Uri.IsHexDigit))
        {
            throw new FormatException($"'{text}' is not an audit head. Write it as <sequence>:<hmac>, as Get-VaultAuditHead shows it (for example 42:9f86d0...), 64 hex digits after the colon.");
        }

        return new VaultAuditHead { SequenceNumber = sequence, Hmac = parts[1].ToLowerInvariant() };
    }

    /// <summary><c>&lt;sequence&gt;:&lt;hmac&gt;</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{SequenceNumber}:{Hmac}");
}

/// <summary>What <c>Test-VaultAuditLog</c> found: the chain intact (and reaching an anchored head), or the first bad record and what is wrong.</summary>
public sealed class VaultAuditVerification
{
    /// <summary>The vault.</summary>
    public required string VaultName { get; init; }

    /// <summary>True when every chained record verifies, none is missing or out of place, the head matches and reaches the expected head.</summary>
    public required bool IsValid { get; init; }

    /// <summary>Chained records checked.</summary>
    public long RecordCount { get; init; }

    /// <summary>Unchained entries seen (failures before the vault opened, records written while the head was damaged); the chain does not cover them.</summary>
    public long UnchainedCount { get; init; }

    /// <summary>The last sequence number found.</summary>
    public long LastSequenceNumber { get; init; }

    /// <summary>The head as the vault stores it.</summary>
    public VaultAuditHead? Head { get; init; }

    /// <summary>The head given to -ExpectedHead, if any.</summary>
    public VaultAuditHead? ExpectedHead { get; init; }

    /// <summary>The first sequence number that is wrong; null when the log is valid.</summary>
    public long? FirstBadSequenceNumber { get; init; }

    /// <summary>Edited, Removed, Reordered, Truncated, RolledBack or Forged; null when the log is valid.</summary>
    public string? Problem { get; init; }

    /// <summary>What was found, in words.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
