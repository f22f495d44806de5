using Vault.Core.Storage;
using Vault.Core.Storage.Sqlite;

namespace Vault.Core.Tests.Storage;

/// <summary>The storage contract against SQLite: each vault a file in a fresh temporary folder.</summary>
public sealed class SqliteStorageContractTests : StorageContract
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "vault-tests", "contract-" + Guid.NewGuid().ToString("N"));

    public SqliteStorageContractTests() => Directory.CreateDirectory(folder);

    private protected override IVaultStorage Storage => SqliteStorage.Instance;

    protected override VaultLocation NewLocation() => VaultLocation.File(Path.Combine(folder, Guid.NewGuid().ToString("N") + ".vault"));

    protected override void DeleteLocations()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held (only on Windows) is left to the temporary folder's own cleaning.
        }
    }
}
