using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>SQLite's failures as the core's own errors: nothing above <c>Storage/</c> sees a SqliteException.</summary>
internal static class SqliteErrors
{
    // https://www.sqlite.org/rescode.html (primary codes)
    private const int ReadOnly = 8;
    private const int IoErr = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;

    /// <summary>
    /// Read-only (a file or folder this account cannot write: SQLite cannot open an existing WAL
    /// file without writing its -shm), a full disk, a damaged file: each its own error with its next
    /// step; anything else is VaultStorageFailed.
    /// </summary>
    public static VaultException Translate(SqliteException ex, VaultLocation location) => ex.SqliteErrorCode switch
    {
        Corrupt or NotADatabase => VaultErrors.VaultDamaged(location.Address, inner: ex),
        ReadOnly => VaultErrors.VaultReadOnly(location.Address, inner: ex),
        CantOpen when File.Exists(location.FilePath) => VaultErrors.VaultReadOnly(location.Address, inner: ex),
        Full => VaultErrors.VaultDiskFull(location.Address, inner: ex),
        IoErr when FileFailure.IsNearlyFull(location.FilePath) => VaultErrors.VaultDiskFull(location.Address, inner: ex),
        _ => VaultErrors.VaultStorageFailed(location.Address, ex),
    };
}
