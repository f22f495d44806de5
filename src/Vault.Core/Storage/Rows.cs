namespace Vault.Core.Storage;

/// <summary>
/// The vault's one settings row, and its state: how many objects it holds and the sums of the MACs of
/// its objects, roles and keyring rows, the HMAC of its audit log's first record, and the MAC over
/// all of it (null in a vault not upgraded yet).
/// </summary>
internal sealed record VaultRow(
    Guid VaultId,
    Guid KeyringId,
    string Name,
    long Created,
    int RetentionDays,
    bool PurgeProtection,
    string KeyProtector)
{
    public long ObjectsCount { get; init; }
    public byte[]? ObjectsDigest { get; init; }
    public byte[]? RolesDigest { get; init; }
    public byte[]? KeyringDigest { get; init; }
    public byte[]? FirstRecordHmac { get; init; }
    public byte[]? Mac { get; init; }
}

internal sealed record KeyringRow(int Term, string Purpose, byte[] WrappedKey, string Mechanism, byte[]? KeyCheck, byte[]? Chain, long Created);

/// <summary>One object (a secret) as stored: its kind, its storage id and name, and whether it is deleted.</summary>
/// <remarks>
/// Its state (the count of versions, the latest one's id and MAC, the sum of all versions' MACs) is
/// under <see cref="Mac"/>, null in a vault not upgraded yet.
/// </remarks>
internal sealed record ObjectRow(ObjectKind Kind, long Id, string Name, long Created, long? Deleted, long? ScheduledPurge)
{
    public bool IsDeleted => Deleted is not null;

    public long VersionCount { get; init; }
    public string? LatestVersion { get; init; }
    public byte[]? LatestMac { get; init; }
    public byte[]? VersionsDigest { get; init; }
    public byte[]? Mac { get; init; }
}

/// <summary>A version still sealed under an older keyring term, for re-encryption.</summary>
internal sealed record SealedVersion(ObjectKind Kind, long Seq, string Name, string Version, int Term, byte[] Value);

/// <summary>One stored version. <see cref="Value"/> is the sealed value, never plaintext.</summary>
internal sealed record VersionRow
{
    public long Seq { get; init; }
    public required string Version { get; init; }
    public long Created { get; init; }
    public long Updated { get; init; }
    public bool Enabled { get; init; }
    public long? NotBefore { get; init; }
    public long? Expires { get; init; }
    public string? ContentType { get; init; }
    public string? Tags { get; init; }

    /// <summary>What the value was set as (<see cref="SecretContent.Record"/>); null for text stored before types were recorded, or without one.</summary>
    public string? SecretType { get; init; }

    public int Term { get; init; }
    public byte[] Value { get; init; } = [];

    /// <summary>The version's place among its object's versions: 1 for the first, n for the nth.</summary>
    public long Ordinal { get; init; }

    /// <summary>The MAC of its attributes, bound to its object and ordinal; null in a vault not upgraded yet.</summary>
    public byte[]? Mac { get; init; }
}

internal static class UnixTime
{
    public static long ToMs(DateTime value) =>
        new DateTimeOffset(value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime()).ToUnixTimeMilliseconds();

    public static long ToMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    public static DateTime? FromMs(long? ms) => ms is { } v ? FromMs(v) : null;
}

internal sealed record RoleDefinitionRow(Guid Id, string Name, string? Description, string DataActions, string NotDataActions, long Created)
{
    public byte[]? Mac { get; init; }
}

internal sealed record RoleAssignmentRow(Guid Id, string PrincipalId, string? PrincipalName, string PrincipalType, Guid RoleDefinitionId, string Scope, long Created)
{
    public byte[]? Mac { get; init; }
}

/// <summary>One audit record as stored. Seq, PrevHmac and Hmac are null for an unchained entry.</summary>
internal sealed record AuditRow
{
    public long Id { get; init; }
    public long? Seq { get; init; }
    public long Time { get; init; }
    public required string Operation { get; init; }
    public string? CallerId { get; init; }
    public string? CallerName { get; init; }
    public string? CallerType { get; init; }
    public string? Target { get; init; }
    /// <summary>The object the operation named (a secret's name), if any.</summary>
    public string? ObjectName { get; init; }
    public required string ResultType { get; init; }
    public required string ResultSignature { get; init; }
    public string? Description { get; init; }
    public long DurationUs { get; init; }
    public string? CorrelationId { get; init; }
    public string? Client { get; init; }
    public string? Properties { get; init; }
    public byte[]? PrevHmac { get; init; }
    public byte[]? Hmac { get; init; }
}

/// <summary>The audit head; <see cref="StateMac"/> is the vault's state MAC when the head was written (null for a head from before).</summary>
internal sealed record AuditHeadRow(long Seq, byte[] Hmac, long Time, byte[] HeadHmac)
{
    public byte[]? StateMac { get; init; }
}

/// <summary>What Get-VaultAuditLog asks for; every field optional. Newest first, before <see cref="BeforeId"/>.</summary>
/// <remarks><see cref="ObjectName"/> matches records about an object of <see cref="ObjectKind"/> by that name.</remarks>
internal sealed record AuditQuery
{
    public long? BeforeId { get; init; }
    public long? Start { get; init; }
    public long? End { get; init; }
    public int? Last { get; init; }
    public string? CallerName { get; init; }
    public string? CallerId { get; init; }
    public string? Operation { get; init; }
    public ObjectKind? ObjectKind { get; init; }
    public string? ObjectName { get; init; }
    public string? ResultType { get; init; }
    public string? CorrelationId { get; init; }
    public bool OldestFirst { get; init; }

    /// <summary>Only entries outside the chain (sequence number null).</summary>
    public bool UnchainedOnly { get; init; }
}
