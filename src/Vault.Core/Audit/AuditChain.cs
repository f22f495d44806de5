using System.Buffers;
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

    /// <summary>The first bytes of every record's canonical form.</summary>
    public static readonly byte[] RecordLabel = Encoding.ASCII.GetBytes("Vault audit record v1");
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
        // Not a using: a using local is read-only, and the struct's writes would go to a copy.
        var canonical = CanonicalRecord(r);
        try
        {
            return HMACSHA256.HashData(key, canonical.Written);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    public static byte[] HeadHmac(ReadOnlySpan<byte> key, long seq, byte[] recordHmac, long time)
    {
        var canonical = new Canonical(128);
        try
        {
            canonical.Raw(HeadLabel);
            canonical.Int(seq);
            canonical.Bytes(recordHmac);
            canonical.Int(time);
            return HMACSHA256.HashData(key, canonical.Written);
        }
        finally
        {
            canonical.Dispose();
        }
    }

    /// <summary>
    /// A record's canonical bytes, in one buffer the caller returns: fed to the HMAC field by field
    /// (about 33 appends, each a call into the crypto library) they cost 5-10 µs a record, most of
    /// Test-VaultAuditLog's time and a tenth of every operation's.
    /// </summary>
    private static Canonical CanonicalRecord(AuditRow r)
    {
        var canonical = new Canonical(1024);
        canonical.Raw(RecordLabel);
        canonical.Int(r.Seq ?? -1);
        canonical.Bytes(r.PrevHmac);
        canonical.Int(r.Time);
        canonical.Text(r.Operation);
        canonical.Text(r.CallerId);
        canonical.Text(r.CallerName);
        canonical.Text(r.CallerType);
        canonical.Text(r.Target);
        canonical.Text(r.SecretName);
        canonical.Text(r.ResultType);
        canonical.Text(r.ResultSignature);
        canonical.Text(r.Description);
        canonical.Int(r.DurationUs);
        canonical.Text(r.CorrelationId);
        canonical.Text(r.Client);
        canonical.Text(r.Properties);
        return canonical;
    }

    /// <summary>A value's HMAC under the audit hash key, as records store it and Get-VaultAuditHash shows it.</summary>
    public static string ValueHmac(ReadOnlySpan<byte> hashKey, ReadOnlySpan<byte> utf8Value) =>
        "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(hashKey, utf8Value));

    /// <summary>
    /// The canonical form in a pooled buffer: an integer as big-endian int64, bytes and text (UTF-8)
    /// as a big-endian int32 length (-1 for null) and the bytes. docs/ARCHITECTURE.md gives it.
    /// </summary>
    private struct Canonical(int capacity) : IDisposable
    {
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int length;

        public readonly ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

        public void Raw(ReadOnlySpan<byte> value)
        {
            value.CopyTo(Reserve(value.Length));
            length += value.Length;
        }

        public void Int(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
            length += 8;
        }

        public void Bytes(byte[]? value)
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value?.Length ?? -1);
            length += 4;
            if (value is not null)
            {
                Raw(value);
            }
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                BinaryPrimitives.WriteInt32BigEndian(Reserve(4), -1);
                length += 4;
                return;
            }

            var target = Reserve(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
            var count = Encoding.UTF8.GetBytes(value, target[4..]);
            BinaryPrimitives.WriteInt32BigEndian(target, count);
            length += 4 + count;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
        }

        private Span<byte> Reserve(int count)
        {
            if (buffer.Length - length < count)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + count));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            return buffer.AsSpan(length, count);
        }
    }
}
