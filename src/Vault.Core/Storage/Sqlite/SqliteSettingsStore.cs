using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>The <c>vault</c> table's one row.</summary>
internal sealed class SqliteSettingsStore(SqliteVaultTransaction db) : ISettingsStore
{
    private const string SelectVault =
        "SELECT vault_id, keyring_id, name, created, soft_delete_retention_days, purge_protection, key_protector, " +
        "objects_count, objects_digest, roles_digest, keyring_digest, first_record_hmac, mac FROM vault WHERE id = 1;";

    public VaultRow Read()
    {
        var command = db.Kept(SelectVault);
        using var reader = db.Reader(command);
        return db.Read(reader) ? ReadRow(reader) : throw new InvalidDataException("The vault table is empty.");
    }

    public void Write(VaultRow row)
    {
        var command = db.Kept("""
            UPDATE vault SET soft_delete_retention_days = $retention, purge_protection = $purge, key_protector = $settings,
                objects_count = $count, objects_digest = $objects, roles_digest = $roles, keyring_digest = $keyring,
                first_record_hmac = $first, mac = $mac
            WHERE id = 1;
            """);
        AddState(command, row);
        db.Execute(command);
    }

    /// <summary>For a read-only look at a file (Register-Vault), outside any store.</summary>
    internal static VaultRow Read(SqliteConnection connection, SqliteTransaction? tx, long schemaVersion)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        // Before schema 6 the state columns do not exist: a read-only look at an older file reads the settings alone.
        command.CommandText = schemaVersion >= StateSchemaVersion ? SelectVault : SelectVault[..SelectVault.IndexOf(", objects_count", StringComparison.Ordinal)] + " FROM vault WHERE id = 1;";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidDataException("The vault table is empty.");
        }

        return schemaVersion >= StateSchemaVersion ? ReadRow(reader) : ReadSettingsOnly(reader);
    }

    private const int StateSchemaVersion = 6;

    private static VaultRow ReadSettingsOnly(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        Guid.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetInt64(3),
        reader.GetInt32(4),
        reader.GetInt64(5) != 0,
        reader.GetString(6));

    internal static void Insert(SqliteConnection connection, SqliteTransaction tx, VaultRow vault)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO vault (id, vault_id, keyring_id, name, created, soft_delete_retention_days, purge_protection, key_protector,
                objects_count, objects_digest, roles_digest, keyring_digest, first_record_hmac, mac)
            VALUES (1, $vaultId, $keyringId, $name, $created, $retention, $purge, $settings, $count, $objects, $roles, $keyring, $first, $mac);
            """;
        command.Parameters.AddWithValue("$vaultId", vault.VaultId.ToString("D"));
        command.Parameters.AddWithValue("$keyringId", vault.KeyringId.ToString("D"));
        command.Parameters.AddWithValue("$name", vault.Name);
        command.Parameters.AddWithValue("$created", vault.Created);
        AddState(command, vault);
        command.ExecuteNonQuery();
    }

    private static void AddState(SqliteCommand command, VaultRow row)
    {
        var p = command.Parameters;
        p.AddWithValue("$retention", row.RetentionDays);
        p.AddWithValue("$purge", row.PurgeProtection ? 1 : 0);
        p.AddWithValue("$settings", row.KeyProtector);
        p.AddWithValue("$count", row.ObjectsCount);
        p.AddWithValue("$objects", (object?)row.ObjectsDigest ?? DBNull.Value);
        p.AddWithValue("$roles", (object?)row.RolesDigest ?? DBNull.Value);
        p.AddWithValue("$keyring", (object?)row.KeyringDigest ?? DBNull.Value);
        p.AddWithValue("$first", (object?)row.FirstRecordHmac ?? DBNull.Value);
        p.AddWithValue("$mac", (object?)row.Mac ?? DBNull.Value);
    }

    private static byte[]? Blob(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<byte[]>(i);

    private static VaultRow ReadRow(SqliteDataReader reader) => ReadSettingsOnly(reader) with
    {
        ObjectsCount = reader.GetInt64(7),
        ObjectsDigest = Blob(reader, 8),
        RolesDigest = Blob(reader, 9),
        KeyringDigest = Blob(reader, 10),
        FirstRecordHmac = Blob(reader, 11),
        Mac = Blob(reader, 12),
    };
}
