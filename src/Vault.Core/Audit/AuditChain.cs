using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Audit;

/// <summary>
/// The audit log's HMAC chain. A record's HMAC covers its sequence number, the previous record's
/// HMAC and every field (<see cref="AuditRecordFormat"/>); the head (last sequence number and HMAC)
/// has an HMAC of its own. The barrier computes them, under the keyring's audit key.
/// </summary>
internal static class AuditChain
{
    public const int HmacSize = 32;

    /// <summary>The previous HMAC of record 1.</summary>
    public static readonly byte[] Genesis = new byte[HmacSize];

    /// <summary>
    /// Appends a chained record inside the caller's write transaction, and moves the head to it.
    /// Returns the stored row (with its id, sequence number and HMAC). When the head does not verify
    /// or is not the last record, the record goes in unchained and the head stays as it is.
    /// </summary>
    /// <param name="stateMac">
    /// Writes the vault's state for this operation and returns its MAC, for the head to bind; given
    /// the record as stored (its HMAC, for a log's first record). Called whether or not the record
    /// goes in chained: the state must be written either way. Null (or no callback) when the
    /// operation changed no state: the new head binds the state the old one did.
    /// </param>
    public static AuditRow Append(IAuditStore log, CryptoBarrier barrier, AuditRow record, Func<AuditRow, byte[]?>? stateMac = null)
    {
        // Held until the transaction ends: where several writers are in at once, this orders them.
        var head = log.LockHead();
        if (!Continues(log, barrier, head))
        {
            // Chaining on would either trust a head someone changed or write a fresh head over the
            // evidence (a cut tail would vanish). The operation is still recorded, outside the chain,
            // and the damage stays for VerifyAuditLog to name.
            var unchained = record with { Seq = null, PrevHmac = null, Hmac = null };
            unchained = unchained with { Id = log.Insert(unchained) };
            stateMac?.Invoke(unchained);
            return unchained;
        }

        var chained = record with
        {
            Seq = (head?.Seq ?? 0) + 1,
            PrevHmac = head?.Hmac ?? Genesis,
        };
        chained = chained with { Hmac = RecordHmac(barrier, chained) };
        var id = log.Insert(chained);
        chained = chained with { Id = id };
        // An operation that changed nothing leaves the state the head bound as it was.
        var state = stateMac?.Invoke(chained) ?? head?.StateMac;
        log.WriteHead(new AuditHeadRow(chained.Seq!.Value, chained.Hmac!, chained.Time, HeadHmac(barrier, chained.Seq.Value, chained.Hmac!, chained.Time, state))
        {
            StateMac = state,
        });
        return chained;
    }

    /// <summary>Whether a new record may follow the head: it verifies and no record is past it (none at all without a head).</summary>
    private static bool Continues(IAuditStore log, CryptoBarrier barrier, AuditHeadRow? head)
    {
        var lastSeq = log.MaxSeq();
        return head is null ? lastSeq == 0 : head.Seq == lastSeq && HeadMatches(barrier, head);
    }

    public static byte[] RecordHmac(CryptoBarrier barrier, AuditRow record)
    {
        // Not a using: a using local is read-only, and the struct's writes would go to a copy.
        var canonical = AuditRecordFormat.Of(record);
        try
        {
            return barrier.AuditMac(canonical.Written);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    public static byte[] HeadHmac(CryptoBarrier barrier, long seq, byte[] recordHmac, long time, byte[]? stateMac = null)
    {
        var canonical = AuditRecordFormat.OfHead(seq, recordHmac, time, stateMac);
        try
        {
            return barrier.AuditMac(canonical.Written);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    /// <summary>Whether the head's own HMAC matches it.</summary>
    public static bool HeadMatches(CryptoBarrier barrier, AuditHeadRow head)
    {
        var canonical = AuditRecordFormat.OfHead(head.Seq, head.Hmac, head.Time, head.StateMac);
        try
        {
            return barrier.AuditMacMatches(canonical.Written, head.HeadHmac);
        }
        finally
        {
            canonical.Dispose();
        }
    }
}
