using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>Vaults that are one SQLite file each: made, opened (and migrated), read, deleted.</summary>
internal sealed class SqliteStorage : IVaultStorage
{
    private const int NotADatabase = 26;

    public static SqliteStorage Instance { get; } = new();

    private SqliteStorage()
    {
    }

    public bool Exists(VaultLocation location) => File.Exists(location.FilePath);

    public IVaultStore Open(VaultLocation location, RoleAssignmentRow? firstAdministrator)
    {
        var store = new SqliteVaultStore(location);
        try
        {
            store.Migrate(firstAdministrator);
            return store;
        }
        catch (Exception ex)
        {
            store.Dispose();
            throw Translate(ex, location);
        }
    }

    public IVaultStore Create(VaultLocation location, VaultRow vault, KeyringRow firstTerm, RoleAssignmentRow creator, Action<IVaultTransaction> record)
    {
        var path = location.FilePath;
        // Make the empty file first: CreateNew never opens someone else's file, and on Unix the
        // file (and the -wal and -shm files SQLite derives from it) is owner-only from the start.
        try
        {
            OwnerOnlyFile.Create(path).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            throw VaultErrors.VaultFileExists(path);
        }
        catch (Exception ex) when (FileFailure.IsReadOnly(ex))
        {
            throw VaultErrors.VaultReadOnly(location.Address, inner: ex);
        }
        catch (Exception ex) when (FileFailure.IsDiskFull(ex))
        {
            throw VaultErrors.VaultDiskFull(location.Address, inner: ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A missing folder, or another refusal: the core's error, not the file system's.
            throw VaultErrors.VaultStorageFailed(location.Address, ex);
        }

        try
        {
            using (var connection = new SqliteConnection(SqliteVaultStore.ConnectionString(path, SqliteOpenMode.ReadWriteCreate)))
            {
                connection.Open();
                SqliteVaultStore.Execute(connection, "PRAGMA journal_mode = WAL;");
                SqliteVaultStore.Execute(connection, $"PRAGMA application_id = {Schema.ApplicationId};");
                using var tx = connection.BeginTransaction();
                SqliteVaultStore.ApplyMigrations(connection, tx, 0);
                SqliteSettingsStore.Insert(connection, tx, vault);
                SqliteKeyringStore.Insert(connection, tx, firstTerm);
                SqliteRoleStore.InsertAssignment(connection, tx, creator, bump: false);
                using (var borrowed = SqliteVaultTransaction.Borrow(location, connection, tx))
                {
                    record(borrowed);
                }

                tx.Commit();
            }

            return new SqliteVaultStore(location);
        }
        catch (Exception ex)
        {
            SqliteConnection.ClearAllPools();
            Delete(location);
            throw Translate(ex, location);
        }
    }

    public VaultRow ReadSettings(VaultLocation location)
    {
        try
        {
            using var connection = new SqliteConnection(SqliteVaultStore.ConnectionString(location.FilePath, SqliteOpenMode.ReadOnly));
            connection.Open();
            var (applicationId, version) = SqliteVaultStore.ReadHeader(connection);
            if (applicationId != Schema.ApplicationId)
            {
                throw VaultErrors.NotAVaultFile(location.Address);
            }

            if (version > Schema.CurrentVersion)
            {
                throw VaultErrors.VaultSchemaTooNew(location.Address, version, Schema.CurrentVersion);
            }

            return SqliteSettingsStore.Read(connection, null, version);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == NotADatabase)
        {
            // Register-Vault on a file that was never a vault; a registered vault's file that SQLite
            // cannot read any more is damaged (SqliteErrors).
            throw VaultErrors.NotAVaultFile(location.Address, ex);
        }
        catch (Exception ex)
        {
            throw Translate(ex, location);
        }
    }

    public void Delete(VaultLocation location)
    {
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
        {
            File.Delete(location.FilePath + suffix);
        }
    }

    /// <summary>What an open, a creation or a read-only look at a file can fail with, as the core's errors.</summary>
    private static Exception Translate(Exception ex, VaultLocation location) => ex switch
    {
        VaultException => ex,
        SqliteException sqlite => SqliteErrors.Translate(sqlite, location),
        // An empty or malformed settings row: the file is a database, but not a vault.
        InvalidDataException or FormatException => VaultErrors.NotAVaultFile(location.Address, ex),
        _ when FileFailure.IsReadOnly(ex) => VaultErrors.VaultReadOnly(location.Address, inner: ex),
        _ when FileFailure.IsDiskFull(ex) => VaultErrors.VaultDiskFull(location.Address, inner: ex),
        _ => ex,
    };
}
