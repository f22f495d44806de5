using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Vault.Core.Storage;

namespace Vault.Core.Audit;

/// <summary>
/// The canonical bytes an audit record's HMAC and the head's HMAC cover (docs/ARCHITECTURE.md gives
/// them): a label, then each field in a fixed order, an integer as big-endian int64, bytes and text
/// (UTF-8) as a big-endian int32 length (-1 for null) and the bytes. One definition, read from a
/// record being written (<see cref="AuditRow"/>) or from storage field by field (<see cref="IAuditChainReader"/>).
/// </summary>
internal static class AuditRecordFormat
{
    /// <summary>The first bytes of every record's canonical form.</summary>
    public static readonly byte[] RecordLabel = Encoding.ASCII.GetBytes("Vault audit record v1");
    private static readonly byte[] HeadLabel = Encoding.ASCII.GetBytes("Vault audit head v1");
    private static readonly byte[] BoundHeadLabel = Encoding.ASCII.GetBytes("Vault audit head v2");

    /// <summary>The fields a record's HMAC covers, in order: every stored field but the id and the HMAC itself.</summary>
    private static readonly AuditField[] Covered =
    [
        AuditField.Seq, AuditField.PrevHmac, AuditField.Time, AuditField.Operation, AuditField.CallerId, AuditField.CallerName,
        AuditField.CallerType, AuditField.Target, AuditField.ObjectName, AuditField.ResultType, AuditField.ResultSignature,
        AuditField.Description, AuditField.DurationUs, AuditField.CorrelationId, AuditField.Client, AuditField.Properties,
    ];

    private static bool IsInteger(AuditField field) => field is AuditField.Seq or AuditField.Time or AuditField.DurationUs;

    /// <summary>A record's canonical bytes, in a pooled buffer the caller disposes.</summary>
    public static Canonical Of(AuditRow r)
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
        canonical.Text(r.ObjectName);
        canonical.Text(r.ResultType);
        canonical.Text(r.ResultSignature);
        canonical.Text(r.Description);
        canonical.Int(r.DurationUs);
        canonical.Text(r.CorrelationId);
        canonical.Text(r.Client);
        canonical.Text(r.Properties);
        return canonical;
    }

    /// <summary>The current record of a chain walk as canonical bytes, into <paramref name="canonical"/> (reset first).</summary>
    public static void Of(IAuditChainReader reader, ref Canonical canonical)
    {
        canonical.Reset();
        canonical.Raw(RecordLabel);
        foreach (var field in Covered)
        {
            if (IsInteger(field))
            {
                canonical.Int(reader.GetInt64(field));
            }
            else if (reader.IsNull(field))
            {
                canonical.Null();
            }
            else
            {
                // A text column's bytes as stored: the UTF-8 its string was written as.
                canonical.Bytes(reader.GetBytes(field));
            }
        }
    }

    /// <summary>
    /// The head's canonical bytes: the last sequence number, its record's HMAC and the time; since
    /// step 6 (v2) also the vault's state MAC when the head was written, so the head vouches for the
    /// state and an older state put back shows.
    /// </summary>
    public static Canonical OfHead(long seq, ReadOnlySpan<byte> recordHmac, long time, byte[]? stateMac = null)
    {
        var canonical = new Canonical(160);
        canonical.Raw(stateMac is null ? HeadLabel : BoundHeadLabel);
        canonical.Int(seq);
        canonical.Bytes(recordHmac);
        canonical.Int(time);
        if (stateMac is not null)
        {
            canonical.Bytes(stateMac);
        }

        return canonical;
    }

    /// <summary>
    /// The canonical form in one pooled buffer: fed to the HMAC field by field (about 33 appends,
    /// each a call into the crypto library) a record cost 5-10 µs, most of Test-VaultAuditLog's
    /// time and a tenth of every operation's; in one call it costs a fraction of that.
    /// </summary>
    internal struct Canonical(int capacity) : IDisposable
    {
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int length;

        public readonly ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

        public void Reset() => length = 0;

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

        public void Null()
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), -1);
            length += 4;
        }

        public void Bytes(byte[]? value)
        {
            if (value is null)
            {
                Null();
                return;
            }

            Bytes(value.AsSpan());
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value.Length);
            length += 4;
            Raw(value);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Null();
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
