using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>The <c>vault</c> table's one row.</summary>
internal sealed class SqliteSettingsStore(SqliteVaultTransaction db) : ISettingsStore
{
    private const string SelectVault =
        "SELECT vault_id, keyring_id, name, created, soft_delete_retention_days, purge_protection, key_protector FROM vault WHERE id = 1;";

    public VaultRow Read()
    {
        using var command = db.Command(SelectVault);
        using var reader = db.Reader(command);
        return db.Read(reader) ? ReadRow(reader) : throw new InvalidDataException("The vault table is empty.");
    }

    public void UpdateRetention(int retentionDays, bool purgeProtection)
    {
        using var command = db.Command("UPDATE vault SET soft_delete_retention_days = $retention, purge_protection = $purge WHERE id = 1;");
        command.Parameters.AddWithValue("$retention", retentionDays);
        command.Parameters.AddWithValue("$purge", purgeProtection ? 1 : 0);
        db.Execute(command);
    }

    public void UpdateKeyProtector(string settingsJson)
    {
        using var command = db.Command("UPDATE vault SET key_protector = $settings WHERE id = 1;");
        command.Parameters.AddWithValue("$settings", settingsJson);
        db.Execute(command);
    }

    /// <summary>For a read-only look at a file (Register-Vault), outside any store.</summary>
    internal static VaultRow Read(SqliteConnection connection, SqliteTransaction? tx)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = SelectVault;
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : throw new InvalidDataException("The vault table is empty.");
    }

    internal static void Insert(SqliteConnection connection, SqliteTransaction tx, VaultRow vault)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO vault (id, vault_id, keyring_id, name, created, soft_delete_retention_days, purge_protection, key_protector)
            VALUES (1, $vaultId, $keyringId, $name, $created, $retention, $purgeProtection, $keyProtector);
            """;
        command.Parameters.AddWithValue("$vaultId", vault.VaultId.ToString("D"));
        command.Parameters.AddWithValue("$keyringId", vault.KeyringId.ToString("D"));
        command.Parameters.AddWithValue("$name", vault.Name);
        command.Parameters.AddWithValue("$created", vault.Created);
        command.Parameters.AddWithValue("$retention", vault.RetentionDays);
        command.Parameters.AddWithValue("$purgeProtection", vault.PurgeProtection ? 1 : 0);
        command.Parameters.AddWithValue("$keyProtector", vault.KeyProtector);
        command.ExecuteNonQuery();
    }

    private static VaultRow ReadRow(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        Guid.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetInt64(3),
        reader.GetInt32(4),
        reader.GetInt64(5) != 0,
        reader.GetString(6));
}
