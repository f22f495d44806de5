using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>The <c>keyring</c> table: one row per term.</summary>
internal sealed class SqliteKeyringStore(SqliteVaultTransaction db) : IKeyringStore
{
    private const string InsertSql = """
        INSERT INTO keyring (term, purpose, wrapped_key, mechanism, key_check, chain, created)
        VALUES ($term, $purpose, $wrapped, $mechanism, $check, $chain, $created);
        """;

    public IReadOnlyList<KeyringRow> Read(int afterTerm = 0)
    {
        using var command = db.Command("SELECT term, purpose, wrapped_key, mechanism, key_check, chain, created FROM keyring WHERE term > $after ORDER BY term;");
        command.Parameters.AddWithValue("$after", afterTerm);
        using var reader = db.Reader(command);
        var rows = new List<KeyringRow>();
        while (db.Read(reader))
        {
            rows.Add(new KeyringRow(
                reader.GetInt32(0),
                reader.GetString(1),
                reader.GetFieldValue<byte[]>(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5),
                reader.GetInt64(6)));
        }

        return rows;
    }

    public int MaxTerm()
    {
        var command = db.Kept("SELECT coalesce(max(term), 0) FROM keyring;");
        return Convert.ToInt32(db.Scalar(command), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Insert(KeyringRow row)
    {
        using var command = db.Command(InsertSql);
        AddParameters(command, row);
        db.Execute(command);
    }

    public void UpdateWrap(int term, byte[] wrappedKey, string mechanism, byte[] keyCheck)
    {
        using var command = db.Command("UPDATE keyring SET wrapped_key = $wrapped, mechanism = $mechanism, key_check = $check WHERE term = $term;");
        command.Parameters.AddWithValue("$term", term);
        command.Parameters.AddWithValue("$wrapped", wrappedKey);
        command.Parameters.AddWithValue("$mechanism", mechanism);
        command.Parameters.AddWithValue("$check", keyCheck);
        db.Execute(command);
    }

    /// <summary>A vault's first term, in the creating transaction.</summary>
    internal static void Insert(SqliteConnection connection, SqliteTransaction tx, KeyringRow row)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = InsertSql;
        AddParameters(command, row);
        command.ExecuteNonQuery();
    }

    private static void AddParameters(SqliteCommand command, KeyringRow row)
    {
        command.Parameters.AddWithValue("$term", row.Term);
        command.Parameters.AddWithValue("$purpose", row.Purpose);
        command.Parameters.AddWithValue("$wrapped", row.WrappedKey);
        command.Parameters.AddWithValue("$mechanism", row.Mechanism);
        command.Parameters.AddWithValue("$check", (object?)row.KeyCheck ?? DBNull.Value);
        command.Parameters.AddWithValue("$chain", (object?)row.Chain ?? DBNull.Value);
        command.Parameters.AddWithValue("$created", row.Created);
    }
}
