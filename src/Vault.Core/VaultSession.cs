using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// One vault file opened by this process: its store, and its keyring, unwrapped on first use and
/// then held (zeroed at process exit or when the vault is removed). Shared by every command, so a
/// secret read costs no key-protector round-trip.
/// </summary>
internal sealed class VaultSession : IDisposable
{
    private static readonly ConcurrentDictionary<string, VaultSession> Sessions = new(PathComparer);
    private static readonly object OpenGate = new();

    private readonly object keyringGate = new();
    private Keyring? keyring;
    private CryptoBarrier? barrier;

    static VaultSession() => AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll();

    private VaultSession(VaultStore store, VaultRow vault)
    {
        Store = store;
        VaultId = vault.VaultId;
        KeyringId = vault.KeyringId;
    }

    public VaultStore Store { get; }

    public Guid VaultId { get; }

    public Guid KeyringId { get; }

    public string Path => Store.Path;

    internal static StringComparer PathComparer =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>The session for a vault file, opening (and migrating) it on first use.</summary>
    public static VaultSession Get(string path, string vaultName)
    {
        if (Sessions.TryGetValue(path, out var session))
        {
            // An open session outlives its file on Unix; a vault whose file is gone is gone.
            if (File.Exists(path))
            {
                return session;
            }

            Evict(path);
            throw VaultErrors.VaultFileNotFound(path, vaultName);
        }

        lock (OpenGate)
        {
            if (Sessions.TryGetValue(path, out session))
            {
                return session;
            }

            session = Open(path, vaultName);
            Sessions[path] = session;
            return session;
        }
    }

    /// <summary>Forgets a vault file: closes its connections and zeroes its keyring.</summary>
    public static void Evict(string path)
    {
        if (Sessions.TryRemove(path, out var session))
        {
            session.Dispose();
        }
    }

    private static VaultSession Open(string path, string vaultName)
    {
        if (!File.Exists(path))
        {
            throw VaultErrors.VaultFileNotFound(path, vaultName);
        }

        VaultStore? store = null;
        try
        {
            store = VaultStore.Open(path);
            using var db = store.Connect();
            return new VaultSession(store, db.ReadVault());
        }
        catch (SqliteException ex)
        {
            store?.Dispose();
            throw VaultStore.IsNotADatabase(ex) ? VaultErrors.NotAVaultFile(path, ex) : VaultErrors.VaultStorageFailed(path, ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            store?.Dispose();
            throw VaultErrors.NotAVaultFile(path, ex);
        }
        catch
        {
            store?.Dispose();
            throw;
        }
    }

    /// <summary>The barrier over this vault's keyring, unwrapping the keyring on first use.</summary>
    public CryptoBarrier GetBarrier(string vaultName) => barrier ?? OpenKeyring(vaultName).CryptoBarrier;

    public Keyring GetKeyring(string vaultName) => keyring ?? OpenKeyring(vaultName).Keyring;

    /// <summary>The key protector described by the vault file.</summary>
    public IKeyProtector OpenProtector(string vaultName)
    {
        using var db = Store.Connect();
        return KeyProtectors.Open(KeyProtectorSettings.FromJson(db.ReadVault().KeyProtector), Path, vaultName);
    }

    private (Keyring Keyring, CryptoBarrier CryptoBarrier) OpenKeyring(string vaultName)
    {
        lock (keyringGate)
        {
            if (keyring is not null && barrier is not null)
            {
                return (keyring, barrier);
            }

            List<KeyringRow> rows;
            using (var db = Store.Connect())
            {
                rows = db.ReadKeyring();
            }

            var opened = new Keyring(KeyringId);
            try
            {
                using var protector = OpenProtector(vaultName);
                foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
                {
                    byte[] key;
                    try
                    {
                        key = protector.Unwrap(row.WrappedKey, AssociatedData.ForKeyringEntry(VaultId, row.Term, row.Purpose));
                    }
                    catch (CryptographicException ex)
                    {
                        throw VaultErrors.KeyringIntegrityFailed(vaultName, row.Term, ex);
                    }

                    opened.Add(row.Term, key);
                }
            }
            catch
            {
                opened.Dispose();
                throw;
            }

            if (opened.TermCount == 0)
            {
                opened.Dispose();
                throw VaultErrors.KeyringIntegrityFailed(vaultName, 0);
            }

            barrier = new CryptoBarrier(VaultId, opened);
            keyring = opened;
            return (keyring, barrier);
        }
    }

    private static void CloseAll()
    {
        foreach (var path in Sessions.Keys)
        {
            Evict(path);
        }
    }

    public void Dispose()
    {
        lock (keyringGate)
        {
            keyring?.Dispose();
            keyring = null;
            barrier = null;
        }

        Store.Dispose();
    }
}
