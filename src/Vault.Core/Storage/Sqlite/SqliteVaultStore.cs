using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>
/// One vault's SQLite file: schema migration and a small pool of open connections, each set up
/// once (WAL, synchronous=NORMAL, foreign keys, busy timeout).
/// </summary>
internal sealed class SqliteVaultStore : IVaultStore
{
    private const int MaxIdleConnections = 4;
    internal const int BusyTimeoutMs = 30_000;
    private const int RbacSchemaVersion = 3;

    private readonly ConcurrentBag<SqliteConnection> idle = new();
    private readonly string connectionString;
    private bool disposed;

    internal SqliteVaultStore(VaultLocation location)
    {
        Location = location;
        connectionString = ConnectionString(location.FilePath, SqliteOpenMode.ReadWrite);
    }

    public VaultLocation Location { get; }

    public IVaultTransaction Connect() => Begin(SqliteTransactionMode.Autocommit);

    public IVaultTransaction BeginRead() => Begin(SqliteTransactionMode.Read);

    public IVaultTransaction BeginWrite() => Begin(SqliteTransactionMode.Write);

    private SqliteVaultTransaction Begin(SqliteTransactionMode mode)
    {
        var connection = Rent();
        try
        {
            return new SqliteVaultTransaction(this, connection, mode);
        }
        catch
        {
            Return(connection);
            throw;
        }
    }

    /// <summary>Brings the file's schema up to this module's (see <see cref="SqliteStorage.Open"/>).</summary>
    internal void Migrate(RoleAssignmentRow? firstAdministrator)
    {
        using var session = Begin(SqliteTransactionMode.Autocommit);
        var connection = session.Connection;
        var (applicationId, version) = ReadHeader(connection);
        if (applicationId != Schema.ApplicationId)
        {
            throw VaultErrors.NotAVaultFile(Location.Address);
        }

        if (version > Schema.CurrentVersion)
        {
            throw VaultErrors.VaultSchemaTooNew(Location.Address, version, Schema.CurrentVersion);
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
            SqliteRoleStore.InsertAssignment(connection, tx, firstAdministrator, bump: true);
        }

        tx.Commit();
    }

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
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw SqliteErrors.Translate(ex, Location);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    internal static void ApplyMigrations(SqliteConnection connection, SqliteTransaction tx, long from)
    {
        for (var i = (int)from; i < Schema.Migrations.Length; i++)
        {
            Execute(connection, Schema.Migrations[i], tx);
        }

        Execute(connection, $"PRAGMA user_version = {Schema.CurrentVersion};", tx);
    }

    internal static (long ApplicationId, long Version) ReadHeader(SqliteConnection connection, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "PRAGMA application_id;";
        var applicationId = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        return (applicationId, version);
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
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
