using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SQLitePCL;
using Vault.Core;

namespace Vault.Bench;

/// <summary>
/// Not Vault's code: a prototype of a faster Test-VaultAuditLog, to measure a proposed change. It
/// makes the chain checks VerifyAuditLog makes (each record's HMAC, its link to the one before, no
/// gap in the sequence numbers) on the same snapshot, but reads each column straight from SQLite's
/// row (SQLitePCL.raw, no strings, no row objects) into one reused buffer in the canonical form,
/// and keys the HMAC once. Microsoft.Data.Sqlite's reader costs about four calls into SQLite per
/// column and a string per text; that is most of VerifyAuditLog's time.
/// </summary>
internal static class AuditVerifyPrototype
{
    /// <summary>audit_record's columns in canonical order (docs/ARCHITECTURE.md), then the stored HMAC.</summary>
    private const string Select =
        "SELECT seq, prev_hmac, time, operation, caller_id, caller_name, caller_type, target, secret_name, result_type, " +
        "result_signature, description, duration_us, correlation_id, client, properties, hmac FROM audit_record WHERE seq IS NOT NULL ORDER BY id;";

    private const int HmacColumn = 16;

    /// <summary>Which columns are integers (big-endian int64); the others are length-prefixed bytes, -1 for null.</summary>
    private static readonly bool[] IsInteger = [true, false, true, false, false, false, false, false, false, false, false, false, true, false, false, false];

    private static readonly byte[] RecordLabel = Encoding.ASCII.GetBytes("Vault audit record v1");

    /// <summary>The chained records checked; throws at the first that does not verify.</summary>
    public static long Verify(VaultService vault)
    {
        var session = vault.Session;
        var key = session.GetKeyring(vault.VaultName).AuditKey.ToArray();
        try
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            using var db = session.Store.BeginRead();
            var rc = raw.sqlite3_prepare_v2(db.Connection.Handle, Select, out var statement);
            if (rc != raw.SQLITE_OK)
            {
                throw new InvalidOperationException($"prepare failed: {rc}");
            }

            using (statement)
            {
                return Walk(statement, hmac);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static long Walk(sqlite3_stmt statement, IncrementalHash hmac)
    {
        var buffer = new byte[64 * 1024];
        Span<byte> computed = stackalloc byte[32];
        Span<byte> previous = stackalloc byte[32];
        long count = 0;
        int rc;
        while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            var length = RecordLabel.Length;
            RecordLabel.CopyTo(buffer, 0);
            for (var i = 0; i < IsInteger.Length; i++)
            {
                if (IsInteger[i])
                {
                    BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(length), raw.sqlite3_column_int64(statement, i));
                    length += 8;
                }
                else if (raw.sqlite3_column_type(statement, i) == raw.SQLITE_NULL)
                {
                    BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(length), -1);
                    length += 4;
                }
                else
                {
                    // A text column's bytes as stored: UTF-8, what the string form encodes to.
                    var value = raw.sqlite3_column_blob(statement, i);
                    if (length + 4 + value.Length > buffer.Length)
                    {
                        Array.Resize(ref buffer, 2 * (length + 4 + value.Length));
                    }

                    BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(length), value.Length);
                    value.CopyTo(buffer.AsSpan(length + 4));
                    length += 4 + value.Length;
                }
            }

            hmac.AppendData(buffer, 0, length);
            hmac.GetHashAndReset(computed);
            var seq = raw.sqlite3_column_int64(statement, 0);
            var stored = raw.sqlite3_column_blob(statement, HmacColumn);
            if (!CryptographicOperations.FixedTimeEquals(computed, stored)
                || seq != count + 1
                || (count > 0 && !CryptographicOperations.FixedTimeEquals(raw.sqlite3_column_blob(statement, 1), previous)))
            {
                throw new InvalidOperationException($"The prototype verifier disagrees with Vault's at sequence number {seq}: their canonical forms differ.");
            }

            stored.CopyTo(previous);
            count++;
        }

        return rc == raw.SQLITE_DONE ? count : throw new InvalidOperationException($"step failed: {rc}");
    }
}
