using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Vault.Core.Storage;

namespace Vault.Core.Audit;

/// <summary>
/// The audit log's HMAC chain. A record's HMAC covers its sequence number, the previous record's
/// HMAC and every field in a fixed canonical form (docs/ARCHITECTURE.md gives the bytes); the head
/// (last sequence number and HMAC) has an HMAC of its own. All under the keyring's audit key.
/// </summary>
internal static class AuditChain
{
    public const int HmacSize = 32;

    private static readonly byte[] RecordLabel = Encoding.ASCII.GetBytes("Vault audit record v1");
    private static readonly byte[] HeadLabel = Encoding.ASCII.GetBytes("Vault audit head v1");

    /// <summary>The previous HMAC of record 1.</summary>
    public static readonly byte[] Genesis = new byte[HmacSize];

    /// <summary>
    /// Appends a chained record inside the caller's write transaction, and moves the head to it.
    /// Returns the stored row (with its id, sequence number and HMAC). When the head does not verify
    /// or is not the last record, the record goes in unchained and the head stays as it is.
    /// </summary>
    public static AuditRow Append(VaultDb db, ReadOnlySpan<byte> key, AuditRow record)
    {
        var head = db.ReadAuditHead();
        if (!Continues(db, key, head))
        {
            // Chaining on would either trust a head someone changed or write a fresh head over the
            // evidence (a cut tail would vanish). The operation is still recorded, outside the chain,
            // and the damage stays for VerifyAuditLog to name.
            var unchained = record with { Seq = null, PrevHmac = null, Hmac = null };
            return unchained with { Id = db.InsertAuditRecord(unchained) };
        }

        var chained = record with
        {
            Seq = (head?.Seq ?? 0) + 1,
            PrevHmac = head?.Hmac ?? Genesis,
        };
        chained = chained with { Hmac = RecordHmac(key, chained) };
        var id = db.InsertAuditRecord(chained);
        db.WriteAuditHead(new AuditHeadRow(chained.Seq!.Value, chained.Hmac!, chained.Time, HeadHmac(key, chained.Seq.Value, chained.Hmac!, chained.Time)));
        return chained with { Id = id };
    }

    /// <summary>Whether a new record may follow the head: it verifies and no record is past it (none at all without a head).</summary>
    private static bool Continues(VaultDb db, ReadOnlySpan<byte> key, AuditHeadRow? head)
    {
        var lastSeq = db.MaxAuditSeq();
        return head is null
            ? lastSeq == 0
            : head.Seq == lastSeq && CryptographicOperations.FixedTimeEquals(HeadHmac(key, head.Seq, head.Hmac, head.Time), head.HeadHmac);
    }

    public static byte[] RecordHmac(ReadOnlySpan<byte> key, AuditRow r)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(RecordLabel);
        Int(hmac, r.Seq ?? -1);
        Bytes(hmac, r.PrevHmac);
        Int(hmac, r.Time);
        Text(hmac, r.Operation);
        Text(hmac, r.CallerId);
        Text(hmac, r.CallerName);
        Text(hmac, r.CallerType);
        Text(hmac, r.Target);
        Text(hmac, r.SecretName);
        Text(hmac, r.ResultType);
        Text(hmac, r.ResultSignature);
        Text(hmac, r.Description);
        Int(hmac, r.DurationUs);
        Text(hmac, r.CorrelationId);
        Text(hmac, r.Client);
        Text(hmac, r.Properties);
        return hmac.GetHashAndReset();
    }

    public static byte[] HeadHmac(ReadOnlySpan<byte> key, long seq, byte[] recordHmac, long time)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(HeadLabel);
        Int(hmac, seq);
        Bytes(hmac, recordHmac);
        Int(hmac, time);
        return hmac.GetHashAndReset();
    }

    /// <summary>A value's HMAC under the audit hash key, as records store it and Get-VaultAuditHash shows it.</summary>
    public static string ValueHmac(ReadOnlySpan<byte> hashKey, ReadOnlySpan<byte> utf8Value) =>
        "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(hashKey, utf8Value));

    private static void Int(IncrementalHash hmac, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        hmac.AppendData(buffer);
    }

    private static void Bytes(IncrementalHash hmac, byte[]? value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, value?.Length ?? -1);
        hmac.AppendData(length);
        if (value is not null)
        {
            hmac.AppendData(value);
        }
    }

    /// <summary>A field as its UTF-8 length (big-endian int32, -1 for null) and bytes.</summary>
    private static void Text(IncrementalHash hmac, string? value)
    {
        Span<byte> length = stackalloc byte[4];
        if (value is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hmac.AppendData(length);
            return;
        }

        var count = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteInt32BigEndian(length, count);
        hmac.AppendData(length);
        if (count <= 512)
        {
            Span<byte> utf8 = stackalloc byte[count];
            Encoding.UTF8.GetBytes(value, utf8);
            hmac.AppendData(utf8);
        }
        else
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(value));
        }
    }
}
