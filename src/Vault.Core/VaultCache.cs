using System.Collections.Concurrent;
using System.Security.Cryptography;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// The vaults this process has open, by location: each one's store, barrier and roles, kept
/// between calls so a secret read costs no key-protector round-trip and no re-read of roles.
/// Process-wide, as the keyring in memory is; zeroed at process exit.
/// </summary>
internal static class VaultCache
{
    private static readonly ConcurrentDictionary<VaultLocation, CachedVault> Vaults = new();
    private static readonly object OpenGate = new();

    static VaultCache() => AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll();

    /// <summary>The open vault at a location, opening (and migrating) it on first use.</summary>
    /// <param name="upgrader">Who becomes Administrator if the vault predates roles (see <see cref="IVaultStorage.Open"/>).</param>
    public static CachedVault Get(VaultLocation location, string vaultName, CallerContext? upgrader = null)
    {
        var storage = VaultStorage.For(location);
        if (Vaults.TryGetValue(location, out var vault))
        {
            // An open vault outlives its file on Unix; a vault whose file is gone is gone.
            if (storage.Exists(location))
            {
                return vault;
            }

            Evict(location);
            throw VaultErrors.VaultFileNotFound(location.Address, vaultName);
        }

        lock (OpenGate)
        {
            if (Vaults.TryGetValue(location, out vault))
            {
                return vault;
            }

            vault = Open(location, vaultName, upgrader);
            Vaults[location] = vault;
            return vault;
        }
    }

    /// <summary>A vault outside the cache, as another process would have it (tests use it to stand in for one).</summary>
    internal static CachedVault OpenDetached(VaultLocation location, string vaultName) => Open(location, vaultName, null);

    /// <summary>Forgets a vault: closes its storage and zeroes its keyring.</summary>
    public static void Evict(VaultLocation location)
    {
        if (Vaults.TryRemove(location, out var vault))
        {
            vault.Dispose();
        }
    }

    /// <summary>Forgets a vault file (tests, and the bench, stand in for a new process with it).</summary>
    internal static void Evict(string path) => Evict(VaultLocation.File(path));

    private static CachedVault Open(VaultLocation location, string vaultName, CallerContext? upgrader)
    {
        var storage = VaultStorage.For(location);
        if (!storage.Exists(location))
        {
            throw VaultErrors.VaultFileNotFound(location.Address, vaultName);
        }

        var firstAdministrator = upgrader is null ? null : new RoleAssignmentRow(Guid.NewGuid(), upgrader.Principal.Id, upgrader.Principal.Name,
            upgrader.Principal.Type.ToString(), BuiltInRoles.All[0].Id, RbacScope.Root, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var store = storage.Open(location, firstAdministrator);
        try
        {
            using var db = store.Connect();
            return new CachedVault(store, db.Settings.Read());
        }
        catch (InvalidDataException ex)
        {
            store.Dispose();
            throw VaultErrors.NotAVaultFile(location.Address, ex);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static void CloseAll()
    {
        foreach (var location in Vaults.Keys)
        {
            Evict(location);
        }
    }
}

/// <summary>
/// One vault as this process holds it: its store; its barrier, unsealed on first use and then held
/// until <see cref="Lock"/>, the vault's removal or the end of the process (all of which zero it);
/// its roles as last read; and, for a PKCS#11 vault, the PIN given to <see cref="Unlock"/>, until Lock.
/// </summary>
internal sealed class CachedVault : IDisposable
{
    private readonly object keyringGate = new();
    private CryptoBarrier? barrier;
    private byte[]? pin;
    private RoleCache? roles;
    private CryptoBarrier? authenticated;

    internal CachedVault(IVaultStore store, VaultRow vault)
    {
        Store = store;
        VaultId = vault.VaultId;
        KeyringId = vault.KeyringId;
        Name = vault.Name;
    }

    /// <summary>The name the vault was created with: the one its audit records' target ids use, for every user.</summary>
    public string Name { get; }

    public IVaultStore Store { get; }

    public VaultLocation Location => Store.Location;

    public Guid VaultId { get; }

    public Guid KeyringId { get; }

    /// <summary>The barrier if this process holds the keyring now; null otherwise (nothing is opened for it).</summary>
    public CryptoBarrier? HeldBarrier => barrier is { IsSealed: false } held ? held : null;

    /// <summary>Whether this process holds the vault's keyring.</summary>
    public bool IsUnlocked => barrier is { IsSealed: false };

    /// <summary>
    /// The vault's roles and assignments, re-read when another process has changed them (one small
    /// query per call, then a read of both tables only when they changed).
    /// </summary>
    /// <remarks>
    /// Checked against their MACs whenever this process holds the keyring (every operation opens it
    /// first); tab completion, which never opens it, reads them unchecked.
    /// </remarks>
    public RoleCache Roles(string vaultName, bool verify = true)
    {
        long version;
        using (var db = Store.Connect())
        {
            version = db.Roles.Version();
        }

        if (!verify)
        {
            // Test-Vault: the roles as stored, checked or not, and not kept for other operations.
            if (roles is { } any && any.Version == version)
            {
                return any;
            }

            using var unchecked_ = Store.BeginRead();
            return RoleCache.Load(unchecked_, null, vaultName);
        }

        var held = barrier is { IsSealed: false } open ? open : null;
        if (roles is { } cached && cached.Version == version && (cached.Verified || held is null))
        {
            return cached;
        }

        using var read = Store.BeginRead();
        var loaded = RoleCache.Load(read, held, vaultName);
        roles = loaded;
        return loaded;
    }

    /// <summary>The barrier over this vault's keyring, unsealing it on first use.</summary>
    public CryptoBarrier Barrier(Opener opener)
    {
        var held = barrier;
        return held is { IsSealed: false } ? held : Unseal(opener);
    }

    /// <summary>
    /// Keeps a PIN for this vault's token and opens the keyring with it, so later commands need none.
    /// A wrong PIN is not kept.
    /// </summary>
    public void Unlock(Opener opener, byte[]? newPin)
    {
        lock (keyringGate)
        {
            var previous = pin;
            if (newPin is not null)
            {
                pin = GC.AllocateArray<byte>(newPin.Length, pinned: true);
                newPin.CopyTo(pin, 0);
            }

            try
            {
                if (barrier is null)
                {
                    Unseal(opener);
                }
                else if (newPin is not null)
                {
                    // Already unlocked: the new PIN must still log in before it replaces the old one.
                    OpenProtector(opener).Dispose();
                }
            }
            catch
            {
                if (!ReferenceEquals(pin, previous) && pin is not null)
                {
                    CryptographicOperations.ZeroMemory(pin);
                }

                pin = previous;
                throw;
            }

            if (previous is not null && !ReferenceEquals(previous, pin))
            {
                CryptographicOperations.ZeroMemory(previous);
            }
        }
    }

    /// <summary>A copy of the PIN given to Unlock, if any; the caller zeroes it.</summary>
    public byte[]? PinCopy()
    {
        lock (keyringGate)
        {
            return (byte[]?)pin?.Clone();
        }
    }

    /// <summary>Seals the barrier (the keyring zeroed) and forgets the PIN: the next use opens the key protector again.</summary>
    public void Lock()
    {
        lock (keyringGate)
        {
            barrier?.Dispose();
            barrier = null;
            if (pin is not null)
            {
                CryptographicOperations.ZeroMemory(pin);
                pin = null;
            }
        }
    }

    /// <summary>
    /// Brings the barrier up to the newest term in storage, following the chain from the terms it
    /// holds (no key-protector call); only a term without a chain link needs the protector.
    /// </summary>
    public void Refresh(Opener opener)
    {
        lock (keyringGate)
        {
            if (barrier is null)
            {
                Unseal(opener);
                return;
            }

            IReadOnlyList<KeyringRow> rows;
            using (var db = Store.Connect())
            {
                rows = db.Keyring.Read(afterTerm: barrier.ActiveTerm);
            }

            barrier.Refresh(rows, opener.VaultName, () => OpenProtector(opener));
        }
    }

    /// <summary>
    /// The key protector the vault names, logged in with the PIN given to Unlock or $env:VAULT_PKCS11_PIN.
    /// A PKCS#11 library is loaded only if the opener trusts it: the vault file's path is a hint.
    /// </summary>
    public IKeyProtector OpenProtector(Opener opener)
    {
        var settings = ProtectorSettings();
        return KeyProtectors.Open(settings, Location, opener.VaultName, opener.Trust.Pkcs11Libraries, () =>
            (pin is { } held ? (byte[])held.Clone() : null)
            ?? KeyProtectors.PinFromEnvironment()
            ?? throw VaultErrors.KeyProtectorLocked(opener.VaultName, settings.TokenLabel ?? string.Empty));
    }

    /// <summary>
    /// Once per unsealed barrier: the vault's state checked against its MAC and the keyring rows
    /// against the digest it holds (a key check dropped, a wrap changed, a term removed or put back);
    /// or, for a vault from before step 6, <paramref name="upgrade"/> gives it its MACs. A vault whose
    /// MACs are gone although its opener has seen it since it had them is refused, not upgraded again.
    /// </summary>
    public void EnsureAuthenticated(Opener opener, CryptoBarrier barrier, Action upgrade)
    {
        if (ReferenceEquals(authenticated, barrier))
        {
            return;
        }

        VaultRow row;
        IReadOnlyList<KeyringRow> keyring;
        AuditHeadRow? head;
        bool bound;
        using (var db = Store.BeginRead())
        {
            row = db.Settings.Read();
            keyring = db.Keyring.Read();
            head = db.Audit.ReadHead();
            bound = row.Mac is not null && Integrity.VaultState.IsBound(db.Audit, barrier, head, row);
        }

        if (row.Mac is null)
        {
            if (opener.Trust.Fingerprint is not null || head?.StateMac is not null)
            {
                throw VaultErrors.MetadataIntegrityFailed(opener.VaultName, "settings", "the vault's MACs are gone, although it had them (its audit log, or your registration, says so).");
            }

            upgrade();
        }
        else
        {
            Integrity.VaultState.Check(barrier, opener.VaultName, row);
            if (bound && !head!.StateMac.AsSpan().SequenceEqual(row.Mac))
            {
                throw VaultErrors.MetadataIntegrityFailed(opener.VaultName, "settings", "the vault's state is not the one its audit log last recorded (an older copy of the settings was put back).");
            }

            if (!Integrity.Digest.Same(Integrity.MetadataFormat.KeyringDigest(barrier, keyring), row.KeyringDigest))
            {
                throw VaultErrors.MetadataIntegrityFailed(opener.VaultName, "keyring", "the keyring's rows (wrapped keys, mechanisms, key checks, chain links) are not the ones the vault's state holds.");
            }
        }

        authenticated = barrier;
    }

    /// <summary>The vault's key protector settings as stored (kind, where the root key is).</summary>
    public KeyProtectorSettings ProtectorSettings()
    {
        using var db = Store.Connect();
        return KeyProtectorSettings.FromJson(db.Settings.Read().KeyProtector);
    }

    private CryptoBarrier Unseal(Opener opener)
    {
        lock (keyringGate)
        {
            if (barrier is { IsSealed: false } held)
            {
                return held;
            }

            IReadOnlyList<KeyringRow> rows;
            using (var db = Store.Connect())
            {
                rows = db.Keyring.Read();
            }

            using var protector = OpenProtector(opener);
            barrier = CryptoBarrier.Unseal(VaultId, KeyringId, opener.VaultName, rows, protector);
            return barrier;
        }
    }

    public void Dispose()
    {
        Lock();
        Store.Dispose();
    }
}
