using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// One vault file opened by this process: its store, and its keyring, unwrapped on first use and
/// then held until <see cref="Lock"/>, the vault's removal or the end of the process (all of which
/// zero it). Shared by every command, so a secret read costs no key-protector round-trip. For a
/// PKCS#11 vault it also holds the PIN given to <see cref="Unlock"/>, until Lock.
/// </summary>
internal sealed class VaultSession : IDisposable
{
    private static readonly ConcurrentDictionary<string, VaultSession> Sessions = new(PathComparer);
    private static readonly object OpenGate = new();

    private readonly object keyringGate = new();
    private Keyring? keyring;
    private CryptoBarrier? barrier;
    private byte[]? pin;
    private Rbac? rbac;

    /// <summary>The roles and assignments of the vault as last read, with the decider built from them.</summary>
    internal sealed record Rbac(long Version, AccessDecider Decider, IReadOnlyList<VaultRoleDefinition> Roles, IReadOnlyList<RoleAssignmentRow> Assignments);

    static VaultSession() => AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll();

    private VaultSession(VaultStore store, VaultRow vault)
    {
        Store = store;
        VaultId = vault.VaultId;
        KeyringId = vault.KeyringId;
        Name = vault.Name;
    }

    /// <summary>The name the vault was created with: the one its audit records' target ids use, for every user.</summary>
    public string Name { get; }

    public VaultStore Store { get; }

    public Guid VaultId { get; }

    public Guid KeyringId { get; }

    public string Path => Store.Path;

    /// <summary>Whether this process holds the vault's keyring.</summary>
    public bool IsUnlocked => keyring is not null;

    internal static StringComparer PathComparer =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>The session for a vault file, opening (and migrating) it on first use.</summary>
    public static VaultSession Get(string path, string vaultName, CallerContext? caller = null)
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

            session = Open(path, vaultName, caller);
            Sessions[path] = session;
            return session;
        }
    }

    /// <summary>A session outside the cache, as another process would have (tests use it to stand in for one).</summary>
    internal static VaultSession OpenDetached(string path, string vaultName) => Open(path, vaultName, null);

    /// <summary>Forgets a vault file: closes its connections and zeroes its keyring.</summary>
    public static void Evict(string path)
    {
        if (Sessions.TryRemove(path, out var session))
        {
            session.Dispose();
        }
    }

    private static VaultSession Open(string path, string vaultName, CallerContext? caller)
    {
        if (!File.Exists(path))
        {
            throw VaultErrors.VaultFileNotFound(path, vaultName);
        }

        VaultStore? store = null;
        try
        {
            var upgrader = caller is null ? null : new RoleAssignmentRow(Guid.NewGuid(), caller.Principal.Id, caller.Principal.Name,
                caller.Principal.Type.ToString(), BuiltInRoles.All[0].Id, RbacScope.Root, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            store = VaultStore.Open(path, upgrader);
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

    /// <summary>
    /// The vault's roles and assignments, re-read when another session has changed them (one small
    /// query per call, then a read of both tables only when they changed).
    /// </summary>
    public Rbac Access()
    {
        long version;
        using (var db = Store.Connect())
        {
            version = db.RbacVersion();
        }

        if (rbac is { } cached && cached.Version == version)
        {
            return cached;
        }

        using var read = Store.BeginRead();
        var assignments = read.ReadRoleAssignments();
        var roles = BuiltInRoles.All.Concat(read.ReadRoleDefinitions().Select(RoleFromRow)).ToList();
        var loaded = new Rbac(read.RbacVersion(), new AccessDecider(roles, assignments.Select(AssignmentFromRow)), roles, assignments);
        rbac = loaded;
        return loaded;
    }

    internal static VaultRoleDefinition RoleFromRow(RoleDefinitionRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        Description = row.Description,
        DataActions = System.Text.Json.JsonSerializer.Deserialize(row.DataActions, RbacJson.Default.StringArray) ?? [],
        NotDataActions = System.Text.Json.JsonSerializer.Deserialize(row.NotDataActions, RbacJson.Default.StringArray) ?? [],
        IsBuiltIn = false,
    };

    internal static Assignment AssignmentFromRow(RoleAssignmentRow row) =>
        new(row.Id, row.PrincipalId, row.PrincipalName, Enum.Parse<VaultPrincipalType>(row.PrincipalType), row.RoleDefinitionId, row.Scope);

    /// <summary>The barrier over this vault's keyring, unwrapping the keyring on first use.</summary>
    public CryptoBarrier GetBarrier(string vaultName) => barrier ?? OpenKeyring(vaultName).Barrier;

    public Keyring GetKeyring(string vaultName) => keyring ?? OpenKeyring(vaultName).Keyring;

    /// <summary>
    /// Keeps a PIN for this vault's token and opens the keyring with it, so later commands need none.
    /// A wrong PIN is not kept.
    /// </summary>
    public void Unlock(string vaultName, byte[]? newPin)
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
                if (keyring is null)
                {
                    OpenKeyring(vaultName);
                }
                else if (newPin is not null)
                {
                    // Already unlocked: the new PIN must still log in before it replaces the old one.
                    OpenProtector(vaultName).Dispose();
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

    /// <summary>Zeroes the keyring and forgets the PIN: the next use opens the key protector again.</summary>
    public void Lock()
    {
        lock (keyringGate)
        {
            keyring?.Dispose();
            keyring = null;
            barrier = null;
            ForgetPin();
        }
    }

    /// <summary>
    /// Brings the keyring up to the newest term in the file, following the chain from the terms it
    /// holds (no key-protector call); only a term without a chain link needs the protector.
    /// </summary>
    public void Refresh(string vaultName)
    {
        lock (keyringGate)
        {
            if (keyring is null)
            {
                OpenKeyring(vaultName);
                return;
            }

            List<KeyringRow> rows;
            using (var db = Store.Connect())
            {
                rows = db.ReadKeyring(afterTerm: keyring.ActiveTerm);
            }

            IKeyProtector? protector = null;
            try
            {
                foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
                {
                    byte[] key;
                    if (row.Chain is not null && keyring.Contains(row.Term - 1))
                    {
                        try
                        {
                            key = keyring.OpenChain(row.Term, row.Chain);
                        }
                        catch (CryptographicException ex)
                        {
                            throw VaultErrors.KeyringIntegrityFailed(vaultName, row.Term, ex);
                        }
                    }
                    else
                    {
                        protector ??= OpenProtector(vaultName);
                        key = UnwrapRow(protector, row, vaultName);
                    }

                    AddChecked(keyring, row, key, vaultName);
                }
            }
            finally
            {
                protector?.Dispose();
            }
        }
    }

    /// <summary>The key protector the vault file names, logged in with the session's PIN or $env:VAULT_PKCS11_PIN.</summary>
    public IKeyProtector OpenProtector(string vaultName)
    {
        KeyProtectorSettings settings;
        using (var db = Store.Connect())
        {
            settings = KeyProtectorSettings.FromJson(db.ReadVault().KeyProtector);
        }

        return KeyProtectors.Open(settings, Path, vaultName, () =>
            (pin is { } held ? (byte[])held.Clone() : null)
            ?? KeyProtectors.PinFromEnvironment()
            ?? throw VaultErrors.KeyProtectorLocked(vaultName, settings.TokenLabel ?? string.Empty));
    }

    private (Keyring Keyring, CryptoBarrier Barrier) OpenKeyring(string vaultName)
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

            var opened = new Keyring(VaultId, KeyringId);
            try
            {
                using var protector = OpenProtector(vaultName);
                foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
                {
                    AddChecked(opened, row, UnwrapRow(protector, row, vaultName), vaultName);
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

    private byte[] UnwrapRow(IKeyProtector protector, KeyringRow row, string vaultName)
    {
        try
        {
            return protector.Unwrap(row.WrappedKey, row.Mechanism, AssociatedData.ForKeyringEntry(VaultId, row.Term, row.Purpose));
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.KeyringIntegrityFailed(vaultName, row.Term, ex);
        }
    }

    private static void AddChecked(Keyring target, KeyringRow row, byte[] key, string vaultName)
    {
        if (!Keyring.CheckMatches(target.VaultId, row.Term, row.Purpose, key, row.KeyCheck))
        {
            CryptographicOperations.ZeroMemory(key);
            throw VaultErrors.KeyringIntegrityFailed(vaultName, row.Term);
        }

        target.Add(row.Term, key);
    }

    private void ForgetPin()
    {
        if (pin is not null)
        {
            CryptographicOperations.ZeroMemory(pin);
            pin = null;
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
        Lock();
        Store.Dispose();
    }
}
