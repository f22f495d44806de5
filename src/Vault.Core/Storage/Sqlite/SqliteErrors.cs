using Microsoft.Data.Sqlite;

namespace Vault.Core.Storage.Sqlite;

/// <summary>SQLite's failures as the core's own errors: nothing above <c>Storage/</c> sees a SqliteException.</summary>
internal static class SqliteErrors
{
    private const int NotADatabase = 26;

    public static VaultException Translate(SqliteException ex, VaultLocation location) =>
        ex.SqliteErrorCode == NotADatabase
            ? VaultErrors.NotAVaultFile(location.Address, ex)
            : VaultErrors.VaultStorageFailed(location.Address, ex);
}
