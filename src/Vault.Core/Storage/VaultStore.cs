using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage;

/// <summary>
/// One vault's SQLite file: creation, schema migration and a small pool of open connections,
/// each set up once (WAL, synchronous=NORMAL, foreign keys, busy timeout).
/// </summary>
internal sealed class VaultStore : IDisposable
{
    private const int MaxIdleConnections = 4;
    private const int BusyTimeoutMs = 30_000;
    private const int SqliteNotADatabase = 26;

    private readonly ConcurrentBag<SqliteConnection> idle = new();
    private readonly string connectionString;
    private bool disposed;

    private VaultStore(string path)
    {
        Path = path;
        connectionString = ConnectionString(path, SqliteOpenMode.ReadWrite);
    }

    public string Path { get; }

    /// <summary>Opens an existing vault file, migrating its schema forward if it is older than this module.</summary>
    /// <param name="firstAdministrator">
    /// When the file predates roles (schema &lt; 3), the caller who upgrades it: made its Administrator
    /// in the upgrade's own transaction, as a creator is. A vault never gets one in any other way.
    /// </param>
    public static VaultStore Open(string path, RoleAssignmentRow? firstAdministrator = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(path);
        }

        var store = new VaultStore(path);
        try
        {
            using var db = store.Connect();
            store.Migrate(db.Connection, firstAdministrator);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a new vault file with its first keyring term, all in one transaction. The file is
    /// created owner-only; if anything fails it is deleted, so nothing is half-made.
    /// </summary>
    public static VaultStore Create(string path, VaultRow vault, KeyringRow firstTerm, RoleAssignmentRow creator, Action<VaultDb>? record = null)
    {
        // Make the empty file first: CreateNew never opens someone else's file, and on Unix the
        // file (and the -wal and -shm files SQLite derives from it) is owner-only from the start.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        new FileStream(path, options).Dispose();

        try
        {
            using (var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWriteCreate)))
            {
                connection.Open();
                Execute(connection, "PRAGMA journal_mode = WAL;");
                Execute(connection, $"PRAGMA application_id = {Schema.ApplicationId};");
                using var tx = connection.BeginTransaction();
                ApplyMigrations(connection, tx, 0);
                VaultDb.InsertVault(connection, tx, vault);
                VaultDb.InsertKeyringEntry(connection, tx, firstTerm);
                VaultDb.InsertRoleAssignment(connection, tx, creator, bump: false);
                record?.Invoke(VaultDb.Borrow(connection, tx));
                tx.Commit();
            }

            return new VaultStore(path);
        }
        catch
        {
            SqliteConnection.ClearAllPools();
            DeleteFiles(path);
            throw;
        }
    }

    /// <summary>Deletes a vault's SQLite files (the database and its -wal, -shm and -journal files).</summary>
    public static void DeleteFiles(string path)
    {
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }

    /// <summary>Reads the vault settings of a file without migrating or writing anything.</summary>
    public static VaultRow ReadVaultReadOnly(string path)
    {
        using var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadOnly));
        connection.Open();
        var (applicationId, version) = ReadHeader(connection);
        if (applicationId != Schema.ApplicationId)
        {
            throw VaultErrors.NotAVaultFile(path);
        }

        if (version > Schema.CurrentVersion)
        {
            throw VaultErrors.VaultSchemaTooNew(path, version, Schema.CurrentVersion);
        }

        return VaultDb.ReadVault(connection, null);
    }

    public static bool IsNotADatabase(SqliteException ex) => ex.SqliteErrorCode == SqliteNotADatabase;

    /// <summary>A connection for reads; statements outside a transaction each see a consistent snapshot.</summary>
    public VaultDb Connect() => new(this, Rent(), VaultDbMode.Autocommit);

    /// <summary>A connection inside a deferred transaction: several reads from one snapshot.</summary>
    public VaultDb BeginRead() => new(this, Rent(), VaultDbMode.Read);

    /// <summary>A connection inside <c>BEGIN IMMEDIATE</c>: writers queue here instead of failing later.</summary>
    public VaultDb BeginWrite() => new(this, Rent(), VaultDbMode.Write);

    internal void Return(SqliteConnection connection)
    {
        if (!disposed && connection.State == System.Data.ConnectionState.Open && idle.Count < MaxIdleConnections)
        {
            idle.Add(connection);
        }
        else
        {
            connection.Dispose();
        }
    }

    private SqliteConnection Rent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (idle.TryTake(out var connection))
        {
            return connection;
        }

        connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            // NORMAL in WAL mode: a commit is in the OS's hands when it returns, so a killed
            // process loses nothing; a power cut may lose the last commits but never corrupts the
            // file. ARCHITECTURE.md explains the choice.
            Execute(connection, $"PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BusyTimeoutMs};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private const int RbacSchemaVersion = 3;

    private void Migrate(SqliteConnection connection, RoleAssignmentRow? firstAdministrator)
    {
        var (applicationId, version) = ReadHeader(connection);
        if (applicationId != Schema.ApplicationId)
        {
            throw VaultErrors.NotAVaultFile(Path);
        }

        if (version > Schema.CurrentVersion)
        {
            throw VaultErrors.VaultSchemaTooNew(Path, version, Schema.CurrentVersion);
        }

        if (version == Schema.CurrentVersion)
        {
            return;
        }

        using var tx = connection.BeginTransaction();
        // Another process may have migrated while this one waited for the write lock.
        var (_, current) = ReadHeader(connection, tx);
        ApplyMigrations(connection, tx, current);
        if (current < RbacSchemaVersion && firstAdministrator is not null)
        {
            VaultDb.InsertRoleAssignment(connection, tx, firstAdministrator, bump: true);
        }

        tx.Commit();
    }

    private static void ApplyMigrations(SqliteConnection connection, SqliteTransaction tx, long from)
    {
        for (var i = (int)from; i < Schema.Migrations.Length; i++)
        {
            Execute(connection, Schema.Migrations[i], tx);
        }

        Execute(connection, $"PRAGMA user_version = {Schema.CurrentVersion};", tx);
    }

    private static (long ApplicationId, long Version) ReadHeader(SqliteConnection connection, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "PRAGMA application_id;";
        var applicationId = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        return (applicationId, version);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        // The store pools its own connections, already set up; SQLite's pool would keep files
        // open after Remove-Vault.
        Pooling = false,
        DefaultTimeout = BusyTimeoutMs / 1000,
    }.ToString();

    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }
}
