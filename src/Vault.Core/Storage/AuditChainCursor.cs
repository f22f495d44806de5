using System.Buffers.Binary;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Vault.Core.Storage;

/// <summary>
/// The chained audit records in the order they were written, each row read straight from SQLite's
/// columns into its canonical bytes (AuditChain's form, label included), with no strings and no row
/// objects: Test-VaultAuditLog's walk over a million records is mostly this read. Spans are valid
/// until the next <see cref="Next"/>.
/// </summary>
internal sealed class AuditChainCursor : IDisposable
{
    /// <summary>The columns in canonical order, then the stored HMAC.</summary>
    private const string Select =
        "SELECT seq, prev_hmac, time, operation, caller_id, caller_name, caller_type, target, secret_name, result_type, " +
        "result_signature, description, duration_us, correlation_id, client, properties, hmac FROM audit_record WHERE seq IS NOT NULL ORDER BY id;";

    private const int PrevHmacColumn = 1;
    private const int TimeColumn = 2;
    private const int OperationColumn = 3;
    private const int HmacColumn = 16;

    /// <summary>Integers are big-endian int64; the other columns length-prefixed bytes, -1 for null.</summary>
    private static readonly bool[] IsInteger = [true, false, true, false, false, false, false, false, false, false, false, false, true, false, false, false];

    private readonly sqlite3_stmt statement;
    private readonly ReadOnlyMemory<byte> label;
    private byte[] buffer = new byte[4096];
    private int length;

    public AuditChainCursor(SqliteConnection connection, ReadOnlyMemory<byte> label)
    {
        this.label = label;
        var rc = raw.sqlite3_prepare_v2(connection.Handle, Select, out statement);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
        }
    }

    public long Seq { get; private set; }

    public long Time => raw.sqlite3_column_int64(statement, TimeColumn);

    public string Operation => raw.sqlite3_column_text(statement, OperationColumn).utf8_to_string();

    /// <summary>The label and every field, as the record's HMAC covers them.</summary>
    public ReadOnlySpan<byte> Canonical => buffer.AsSpan(0, length);

    public bool HasPrevHmac => raw.sqlite3_column_type(statement, PrevHmacColumn) != raw.SQLITE_NULL;

    public ReadOnlySpan<byte> PrevHmac => raw.sqlite3_column_blob(statement, PrevHmacColumn);

    public bool HasHmac => raw.sqlite3_column_type(statement, HmacColumn) != raw.SQLITE_NULL;

    public ReadOnlySpan<byte> Hmac => raw.sqlite3_column_blob(statement, HmacColumn);

    public bool Next()
    {
        var rc = raw.sqlite3_step(statement);
        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        if (rc != raw.SQLITE_ROW)
        {
            throw new SqliteException($"Reading the audit log failed ({rc}).", rc);
        }

        Seq = raw.sqlite3_column_int64(statement, 0);
        length = 0;
        Append(label.Span);
        Span<byte> number = stackalloc byte[8];
        for (var i = 0; i < IsInteger.Length; i++)
        {
            if (IsInteger[i])
            {
                BinaryPrimitives.WriteInt64BigEndian(number, raw.sqlite3_column_int64(statement, i));
                Append(number);
            }
            else if (raw.sqlite3_column_type(statement, i) == raw.SQLITE_NULL)
            {
                BinaryPrimitives.WriteInt32BigEndian(number, -1);
                Append(number[..4]);
            }
            else
            {
                // A text column's bytes as stored: the UTF-8 its string was written as.
                var value = raw.sqlite3_column_blob(statement, i);
                BinaryPrimitives.WriteInt32BigEndian(number, value.Length);
                Append(number[..4]);
                Append(value);
            }
        }

        return true;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(2 * buffer.Length, length + bytes.Length));
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    public void Dispose() => statement.Dispose();
}
