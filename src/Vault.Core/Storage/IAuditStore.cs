namespace Vault.Core.Storage;

/// <summary>
/// The audit log: records in the order written (<see cref="AuditRow.Id"/>), chained by sequence
/// number and HMAC, and the head (the last sequence number and HMAC, under an HMAC of its own).
/// </summary>
/// <remarks>
/// How a record is appended where several writers may be in at once: the appender calls
/// <see cref="LockHead"/> first, which holds the head against every other appender until its
/// transaction ends, then inserts its record with the next sequence number and writes the head.
/// SQLite's write transaction already admits one writer at a time, so there it is a plain read; a
/// PostgreSQL store reads the head row <c>FOR UPDATE</c> (every vault is created with its creation
/// record, which makes the head row, so after creation there is always one to lock), and the unique
/// index on the sequence number refuses a second record in one place should a store get this wrong.
/// </remarks>
internal interface IAuditStore
{
    /// <summary>Reads the head and holds it against other appenders until this transaction ends; null when there is none.</summary>
    AuditHeadRow? LockHead();

    /// <summary>Reads the head; null when there is none.</summary>
    AuditHeadRow? ReadHead();

    void WriteHead(AuditHeadRow head);

    /// <summary>Inserts a record (chained or not); returns its id, which orders records as written.</summary>
    long Insert(AuditRow row);

    /// <summary>The highest sequence number in the log (0 for none).</summary>
    long MaxSeq();

    bool SeqExists(long seq);

    /// <summary>The HMAC of the chained record at <paramref name="seq"/>; null when there is none.</summary>
    byte[]? HmacAt(long seq);

    long CountUnchained();

    /// <summary>
    /// Streams records matching a query, newest first (oldest first when asked), one at a time.
    /// Caller names and ids, operation names and object names compare case-insensitively; result
    /// types and correlation ids exactly (the core writes them in one form). <see cref="AuditQuery.Last"/>
    /// takes the first that many in the order asked for.
    /// </summary>
    IEnumerable<AuditRow> Query(AuditQuery query);

    /// <summary>The chained records in the order they were written, field by field, without building rows.</summary>
    IAuditChainReader ReadChain();
}

/// <summary>The stored fields of an audit record, by name (their canonical order is the audit log's, not storage's).</summary>
internal enum AuditField
{
    Seq,
    PrevHmac,
    Time,
    Operation,
    CallerId,
    CallerName,
    CallerType,
    Target,
    ObjectName,
    ResultType,
    ResultSignature,
    Description,
    DurationUs,
    CorrelationId,
    Client,
    Properties,
    Hmac,
}

/// <summary>
/// A forward-only walk over the chained records, reading each field where storage keeps it: text
/// as its UTF-8 bytes, blobs as bytes. Test-VaultAuditLog's walk over a million records is mostly
/// this read, so it builds no strings and no rows. Spans are valid until the next <see cref="Next"/>.
/// </summary>
internal interface IAuditChainReader : IDisposable
{
    bool Next();

    bool IsNull(AuditField field);

    long GetInt64(AuditField field);

    /// <summary>A text field's UTF-8 bytes, or a blob's bytes.</summary>
    ReadOnlySpan<byte> GetBytes(AuditField field);
}
