using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Vault.Core.Tests;

/// <summary>One row of audit_record, as the file holds it.</summary>
public sealed record AuditEntry(
    long Id,
    long? Seq,
    long Time,
    string Operation,
    string? CallerId,
    string? CallerName,
    string? CallerType,
    string? Target,
    string? SecretName,
    string ResultType,
    string ResultSignature,
    string? Description,
    long DurationUs,
    string? CorrelationId,
    string? Client,
    string? Properties,
    byte[]? PrevHmac,
    byte[]? Hmac)
{
    /// <summary>A field of the record's Properties JSON, or null.</summary>
    public string? Property(string name)
    {
        if (Properties is null)
        {
            return null;
        }

        using var json = JsonDocument.Parse(Properties);
        return json.RootElement.TryGetProperty(name, out var value) ? value.GetString() : null;
    }

    /// <summary>Every text field, for scanning.</summary>
    public IEnumerable<string> Texts() =>
        new[] { Operation, CallerId, CallerName, CallerType, Target, SecretName, ResultType, ResultSignature, Description, CorrelationId, Client, Properties }
            .Where(t => t is not null)!;
}

/// <summary>
/// The audit log read straight from the vault file, beside the vault's own connections (WAL lets a
/// reader in at any time), so a test sees exactly what an operation wrote and nothing it says.
/// </summary>
public static class AuditRows
{
    private const string Columns =
        "id, seq, time, operation, caller_id, caller_name, caller_type, target, object_name, result_type, result_signature, description, duration_us, correlation_id, client, properties, prev_hmac, hmac";

    /// <summary>Every record written after <paramref name="afterId"/>, in the order written.</summary>
    public static List<AuditEntry> Read(string path, long afterId = 0)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM audit_record WHERE id > $after ORDER BY id;";
        command.Parameters.AddWithValue("$after", afterId);
        using var r = command.ExecuteReader();
        var rows = new List<AuditEntry>();
        while (r.Read())
        {
            rows.Add(new AuditEntry(
                r.GetInt64(0),
                r.IsDBNull(1) ? null : r.GetInt64(1),
                r.GetInt64(2),
                r.GetString(3),
                Text(r, 4),
                Text(r, 5),
                Text(r, 6),
                Text(r, 7),
                Text(r, 8),
                r.GetString(9),
                r.GetString(10),
                Text(r, 11),
                r.GetInt64(12),
                Text(r, 13),
                Text(r, 14),
                Text(r, 15),
                r.IsDBNull(16) ? null : r.GetFieldValue<byte[]>(16),
                r.IsDBNull(17) ? null : r.GetFieldValue<byte[]>(17)));
        }

        return rows;
    }

    /// <summary>The id of the last record (0 for none): what a test counts from.</summary>
    public static long LastId(string path) => Scalar(path, "SELECT coalesce(max(id), 0) FROM audit_record;");

    /// <summary>The last chained sequence number (0 for none).</summary>
    public static long LastSeq(string path) => Scalar(path, "SELECT coalesce(max(seq), 0) FROM audit_record;");

    public static long Count(string path) => Scalar(path, "SELECT count(*) FROM audit_record;");

    /// <summary>The last chained record, whose HMAC the next one must link to.</summary>
    public static AuditEntry? LastChained(string path) => Read(path).LastOrDefault(r => r.Seq is not null);

    /// <summary>A value from the file with the vault still open (not evicted), for fingerprints of what must not change.</summary>
    public static string Query(string path, string sql)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    /// <summary>Runs SQL beside the open vault, without evicting its session (unlike Tamper).</summary>
    public static void Execute(string path, string sql)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = Connect(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Connect(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }

    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
