using Vault.Core.Storage.Sqlite;

namespace Vault.Core.Storage;

/// <summary>The storage for a kind of location.</summary>
internal static class VaultStorage
{
    public static IVaultStorage For(VaultLocation location) => location.Kind switch
    {
        VaultLocation.SqliteKind => SqliteStorage.Instance,
        _ => throw VaultErrors.VaultStorageFailed(location.Address, new NotSupportedException($"No storage for vaults of kind '{location.Kind}'.")),
    };
}
