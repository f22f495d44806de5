using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

internal enum SqliteTransactionMode
{
    /// <summary>Each statement on its own.</summary>
    Autocommit,

    /// <summary>Several reads from one snapshot.</summary>
    Read,

    /// <summary>A write transaction, holding the file's write lock.</summary>
    Write,
}

/// <summary>
/// A rented connection, optionally inside a transaction, and the aggregates over it. Every statement
/// runs through <see cref="Execute"/>, <see cref="Scalar"/>, <see cref="Reader"/> and <see cref="Read"/>,
/// which turn a SqliteException into the core's error.
/// </summary>
internal sealed class SqliteVaultTransaction : IVaultTransaction
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> KeptCommands = new();

    private readonly SqliteVaultStore? store;
    private readonly bool owned = true;
    private SqliteTransaction? tx;
    private SqliteSettingsStore? settings;
    private SqliteKeyringStore? keyring;
    private SqliteObjectStore? objects;
    private SqliteRoleStore? roles;
    private SqliteAuditStore? audit;

    internal SqliteVaultTransaction(SqliteVaultStore store, SqliteConnection connection, SqliteTransactionMode mode)
    {
        this.store = store;
        Location = store.Location;
        Connection = connection;
        if (mode != SqliteTransactionMode.Autocommit)
        {
            try
            {
                // IMMEDIATE takes the write lock now (waiting for it), so a writer never fails
                // half-way with SQLITE_BUSY; DEFERRED just pins one snapshot for several reads.
                tx = connection.BeginTransaction(deferred: mode == SqliteTransactionMode.Read);
            }
            catch (SqliteException ex)
            {
                throw SqliteErrors.Translate(ex, Location);
            }
        }
    }

    /// <summary>A transaction the caller owns (a vault's creation): Commit and Dispose leave it and the connection alone.</summary>
    private SqliteVaultTransaction(VaultLocation location, SqliteConnection connection, SqliteTransaction borrowed)
    {
        Location = location;
        Connection = connection;
        tx = borrowed;
        owned = false;
    }

    internal static SqliteVaultTransaction Borrow(VaultLocation location, SqliteConnection connection, SqliteTransaction tx) => new(location, connection, tx);

    public VaultLocation Location { get; }

    public SqliteConnection Connection { get; }

    internal SqliteTransaction? Transaction => tx;

    public ISettingsStore Settings => settings ??= new SqliteSettingsStore(this);

    public IKeyringStore Keyring => keyring ??= new SqliteKeyringStore(this);

    public IObjectStore Objects => objects ??= new SqliteObjectStore(this);

    public IRoleStore Roles => roles ??= new SqliteRoleStore(this);

    public IAuditStore Audit => audit ??= new SqliteAuditStore(this);

    public void Commit()
    {
        if (!owned || tx is null)
        {
            return;
        }

        try
        {
            tx.Commit();
        }
        catch (SqliteException ex)
        {
            throw Fail(ex);
        }

        tx.Dispose();
        tx = null;
    }

    public void Dispose()
    {
        if (!owned)
        {
            return;
        }

        try
        {
            tx?.Dispose(); // rolls back what was not committed
        }
        catch (SqliteException)
        {
            // A rollback that fails leaves nothing committed either; the connection is closed below.
            Connection.Dispose();
        }

        tx = null;
        store!.Return(Connection);
    }

    // ---- statements --------------------------------------------------------------------------

    /// <summary>A statement for this connection and transaction; the caller disposes it.</summary>
    public SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// A statement (nearly) every operation runs — its audit record's, the RBAC version check, the
    /// secret lookup — kept prepared on its pooled connection: preparing one again each time cost
    /// 5-15 µs, about what running it costs. The connection disposes them when it closes. Not for
    /// statements that stream rows: one of these must be done with before it is asked for again.
    /// </summary>
    public SqliteCommand Kept(string sql)
    {
        var kept = KeptCommands.GetValue(Connection, _ => new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));
        if (!kept.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            kept[sql] = command;
        }

        command.Transaction = tx;
        command.Parameters.Clear();
        return command;
    }

    public int Execute(SqliteCommand command)
    {
        try
        {
            return command.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            throw Fail(ex);
        }
    }

    public object? Scalar(SqliteCommand command)
    {
        try
        {
            return command.ExecuteScalar();
        }
        catch (SqliteException ex)
        {
            throw Fail(ex);
        }
    }

    public SqliteDataReader Reader(SqliteCommand command)
    {
        try
        {
            return command.ExecuteReader();
        }
        catch (SqliteException ex)
        {
            throw Fail(ex);
        }
    }

    public bool Read(SqliteDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (SqliteException ex)
        {
            throw Fail(ex);
        }
    }

    public VaultException Fail(SqliteException ex) => SqliteErrors.Translate(ex, Location);
}
