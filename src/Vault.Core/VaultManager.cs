using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using Vault.Core.Registry;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// The vaults one user knows (the registry in the Vault home folder) and their lifecycle: create,
/// register, update, remove, choose the default, and open one for its data plane.
/// </summary>
public sealed class VaultManager
{
    /// <summary>The environment variable that moves the Vault home folder (tests and portable setups use it).</summary>
    public const string HomeVariable = "VAULT_HOME";

    private static readonly ConcurrentDictionary<string, VaultManager> Managers = new(VaultSession.PathComparer);

    private readonly VaultRegistry registry;
    private readonly TimeProvider time;
    private readonly CallerContext caller;

    /// <summary>A manager for a home, acting as the operating-system account this process runs as.</summary>
    public VaultManager(string home, TimeProvider? time = null)
        : this(home, time, OsIdentity.CurrentCaller)
    {
    }

    /// <summary>Acting as another principal: only the core's own tests inject one; the module never does.</summary>
    internal VaultManager(string home, TimeProvider? time, CallerContext caller)
    {
        Home = System.IO.Path.GetFullPath(home);
        registry = new VaultRegistry(Home);
        this.time = time ?? TimeProvider.System;
        this.caller = caller;
    }

    /// <summary>Who this manager acts as.</summary>
    public CallerContext Caller => caller;

    /// <summary>The caller, its groups, the default vault and the home: what Get-VaultContext shows.</summary>
    public VaultContext Context() => new()
    {
        PrincipalId = caller.Principal.Id,
        PrincipalName = caller.Principal.Name,
        Authentication = caller.Authentication,
        Groups = caller.Groups.Select(g => g.ToString()).ToList(),
        DefaultVault = DefaultVaultName,
        VaultHome = Home,
    };

    /// <summary>Where this user's registry and default vault files live.</summary>
    public string Home { get; }

    /// <summary><c>$env:VAULT_HOME</c> when set, else the user's local data folder plus <c>Vault</c>.</summary>
    public static string ResolveHome()
    {
        var home = Environment.GetEnvironmentVariable(HomeVariable);
        return string.IsNullOrWhiteSpace(home)
            ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "Vault")
            : home;
    }

    /// <summary>The manager for the current user's home, shared across commands in this process.</summary>
    public static VaultManager ForCurrentUser()
    {
        var home = System.IO.Path.GetFullPath(ResolveHome());
        return Managers.GetOrAdd(home, h => new VaultManager(h));
    }

    public string? DefaultVaultName => registry.Read().DefaultVault;

    /// <summary>Registered vault names, read without opening any vault (for tab completion).</summary>
    public IReadOnlyList<string> VaultNames => registry.Read().Vaults.Select(v => v.Name).ToList();

    /// <summary>Creates a vault file, its root key and first keyring term, and registers it.
    /// The first vault a user makes becomes the default.</summary>
    public VaultInfo CreateVault(string name, string? path = null, int retentionDays = SecretRules.DefaultRetentionDays, bool purgeProtection = false, KeyProtectorOptions? keyProtector = null)
    {
        SecretRules.ValidateVaultName(name);
        SecretRules.ValidateRetention(retentionDays);
        keyProtector ??= KeyProtectorOptions.Software;
        keyProtector.Validate();
        var fullPath = System.IO.Path.GetFullPath(path ?? System.IO.Path.Combine(Home, "vaults", name + ".vault"));

        return registry.Update(data =>
        {
            if (data.Find(name) is not null)
            {
                throw VaultErrors.VaultAlreadyExists(name);
            }

            if (File.Exists(fullPath))
            {
                throw VaultErrors.VaultFileExists(fullPath);
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
            CreateVaultFile(name, fullPath, retentionDays, purgeProtection, keyProtector);
            var registered = new RegisteredVault(name, fullPath);
            var updated = data with
            {
                Vaults = [.. data.Vaults, registered],
                DefaultVault = data.DefaultVault ?? name,
            };
            return (updated, ReadInfo(registered, updated.DefaultVault));
        });
    }

    private void CreateVaultFile(string name, string fullPath, int retentionDays, bool purgeProtection, KeyProtectorOptions options)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var vaultId = Guid.NewGuid();
        var keyringId = Guid.NewGuid();
        using var protector = KeyProtectors.Create(options, fullPath, name, existingVault: false);
        // The audit key comes from term 1's data key: the creation is the chain's first record.
        using var auditKeys = new Keyring(vaultId, keyringId);
        try
        {
            var dataKey = Keyring.NewDataKey();
            WrappedKey wrapped;
            byte[] check;
            try
            {
                wrapped = protector.Wrap(dataKey, AssociatedData.ForKeyringEntry(vaultId, 1, Keyring.DataPurpose));
                check = Keyring.Check(vaultId, 1, Keyring.DataPurpose, dataKey);
                auditKeys.Add(1, (byte[])dataKey.Clone());
            }
            finally
            {
                CryptographicOperations.ZeroMemory(dataKey);
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var row = new VaultRow(vaultId, keyringId, name, now, retentionDays, purgeProtection, protector.Settings.ToJson());
            // The creator starts as Vault Administrator of the whole vault.
            var creator = new RoleAssignmentRow(Guid.NewGuid(), caller.Principal.Id, caller.Principal.Name, caller.Principal.Type.ToString(), BuiltInRoles.All[0].Id, RbacScope.Root, now);
            var description = $"Key protector {protector.Settings.Kind}; soft-delete retention {retentionDays} days; purge protection {(purgeProtection ? "on" : "off")}; {caller.Principal} is Vault Administrator at /.";
            VaultStore.Create(
                fullPath, row, new KeyringRow(1, Keyring.DataPurpose, wrapped.Bytes, wrapped.Mechanism, check, null, now), creator,
                db => Audit.AuditChain.Append(db, auditKeys.AuditKey, Audit.AuditCall.Created(name, caller, now, started, description))).Dispose();
            protector.Commit();
        }
        catch
        {
            protector.Abort();
            throw;
        }

        // The creator's PIN unlocks the new vault for this session, as Unlock-Vault would.
        if (KeyProtectors.PinBytes(options.Pin) is { } pin)
        {
            try
            {
                VaultSession.Get(fullPath, name).Unlock(name, pin);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pin);
            }
        }
    }

    /// <summary>Makes an existing vault file known to this user, reading it but changing nothing.</summary>
    public VaultInfo RegisterVault(string path, string? name = null)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw VaultErrors.VaultFileNotFound(fullPath, name ?? System.IO.Path.GetFileNameWithoutExtension(fullPath));
        }

        VaultRow row;
        try
        {
            row = VaultStore.ReadVaultReadOnly(fullPath);
        }
        catch (SqliteException ex)
        {
            throw VaultStore.IsNotADatabase(ex) ? VaultErrors.NotAVaultFile(fullPath, ex) : VaultErrors.VaultStorageFailed(fullPath, ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            throw VaultErrors.NotAVaultFile(fullPath, ex);
        }

        name ??= row.Name;
        SecretRules.ValidateVaultName(name);
        return registry.Update(data =>
        {
            if (data.Find(name) is not null)
            {
                throw VaultErrors.VaultAlreadyExists(name);
            }

            if (data.FindByPath(fullPath) is { } existing)
            {
                throw VaultErrors.VaultPathAlreadyRegistered(fullPath, existing.Name);
            }

            var registered = new RegisteredVault(name, fullPath);
            var updated = data with { Vaults = [.. data.Vaults, registered], DefaultVault = data.DefaultVault ?? name };
            return (updated, ReadInfo(registered, updated.DefaultVault));
        });
    }

    /// <summary>Forgets a vault without touching its files.</summary>
    public void UnregisterVault(string name)
    {
        registry.Update(data =>
        {
            var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
            var isDefault = string.Equals(data.DefaultVault, registered.Name, StringComparison.OrdinalIgnoreCase);
            var updated = data with
            {
                Vaults = data.Vaults.Where(v => v != registered).ToList(),
                DefaultVault = isDefault ? null : data.DefaultVault,
            };
            return (updated, true);
        });
    }

    /// <summary>Makes a registered vault the one secret commands use when no vault name is given.</summary>
    public VaultInfo SetDefault(string name)
    {
        return registry.Update(data =>
        {
            var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
            var updated = data with { DefaultVault = registered.Name };
            return (updated, ReadInfo(registered, updated.DefaultVault));
        });
    }

    /// <summary>The vaults whose names match, in registration order, each read from its file (or the error that stopped it).</summary>
    public IEnumerable<(string Name, VaultInfo? Info, VaultException? Error)> GetVaults(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        var data = registry.Read();
        foreach (var registered in data.Vaults.Where(v => pattern.IsMatch(v.Name)))
        {
            VaultInfo? info = null;
            VaultException? error = null;
            try
            {
                info = ReadInfoAs(registered, data.DefaultVault, VaultActions.VaultRead);
            }
            catch (VaultException ex)
            {
                error = ex;
            }

            yield return (registered.Name, info, error);
        }
    }

    public VaultInfo GetVault(string name)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        return ReadInfoAs(registered, data.DefaultVault, VaultActions.VaultRead);
    }

    /// <summary>Changes a vault's retention, or turns purge protection on (never off).</summary>
    public VaultInfo UpdateVault(string name, int? retentionDays, bool? purgeProtection)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        var vault = Service(registered);
        vault.AuditedOperation(Audit.AuditOperations.VaultUpdate, call =>
        {
            if (retentionDays is { } days)
            {
                SecretRules.ValidateRetention(days);
            }

            vault.Authorize(VaultActions.VaultWrite, RbacScope.Root);
            using var db = call.Begin();
            var row = db.ReadVault();
            if (row.PurgeProtection && purgeProtection == false)
            {
                throw VaultErrors.PurgeProtectionCannotBeDisabled(registered.Name);
            }

            db.UpdateVaultSettings(retentionDays ?? row.RetentionDays, purgeProtection ?? row.PurgeProtection);
            call.Description = $"Soft-delete retention {retentionDays ?? row.RetentionDays} days; purge protection {((purgeProtection ?? row.PurgeProtection) ? "on" : "off")}.";
            call.Commit(db);
            return true;
        });

        return ReadInfo(registered, data.DefaultVault);
    }

    /// <summary>
    /// Deletes a vault's files (database, -wal, -shm, key file) and forgets it. Refused while purge
    /// protection is on and the vault holds secrets, live or deleted and inside retention.
    /// Returns false when the vault file was already gone: then only the registration is removed
    /// (a key file is never deleted without the vault it opens, which may yet be restored).
    /// </summary>
    public bool RemoveVault(string name)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        string? keyFile = null;
        var exists = File.Exists(registered.Path);
        if (exists)
        {
            var vault = Service(registered);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            // A refusal is recorded; a removal takes the log with the file (about_Vault_Audit says so).
            keyFile = vault.AuditedOperation(Audit.AuditOperations.VaultDelete, call =>
            {
                vault.Authorize(VaultActions.VaultDelete, RbacScope.Root);
                using var db = call.Begin();
                db.PurgeExpired(now);
                var row = db.ReadVault();
                var (live, latestPurge) = db.RetentionState(now);
                if (row.PurgeProtection && live > 0)
                {
                    throw VaultErrors.VaultPurgeProtected(registered.Name, live);
                }

                if (row.PurgeProtection && latestPurge is { } until)
                {
                    throw VaultErrors.VaultPurgeProtectedDeleted(registered.Name, UnixTime.FromMs(until));
                }

                call.Description = "The vault file, its log and its key file are deleted.";
                call.Commit(db);
                var settings = KeyProtectorSettings.FromJson(row.KeyProtector);
                return settings.Kind == SoftwareKeyProtector.KindName ? KeyProtectors.Describe(settings, registered.Path) : null;
            });

            VaultSession.Evict(registered.Path);
            VaultStore.DeleteFiles(registered.Path);
            if (keyFile is not null)
            {
                File.Delete(keyFile);
            }
        }

        UnregisterVault(registered.Name);
        return exists;
    }

    /// <summary>Opens a vault's keyring now (with a token PIN for a PKCS#11 vault, kept for this process).</summary>
    public VaultInfo Unlock(string? name, System.Security.SecureString? pin)
    {
        var vault = Open(name);
        // Opening the keyring is the operation, so the record's key comes after it: a refusal or a
        // wrong PIN is an unchained entry unless this process holds the keyring already.
        var call = vault.Call(Audit.AuditOperations.VaultUnlock, null).TryOpen();
        var bytes = KeyProtectors.PinBytes(pin);
        try
        {
            vault.AuthorizeVaultWide(VaultActions.KeyringUnlock);
            vault.Session.Unlock(vault.VaultName, bytes);
            call.TryOpen().Finish();
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
        finally
        {
            if (bytes is not null)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        return InfoOf(vault.VaultName);
    }

    /// <summary>
    /// Zeroes a vault's keyring in this process and forgets its PIN. It needs no role: it only
    /// forgets what this process holds.
    /// </summary>
    public VaultInfo Lock(string? name)
    {
        var vault = Open(name);
        vault.Session.Lock();
        return InfoOf(vault.VaultName);
    }

    private VaultInfo InfoOf(string name)
    {
        var data = registry.Read();
        return ReadInfo(data.Find(name)!, data.DefaultVault);
    }

    /// <summary>The data plane of a vault; <paramref name="name"/> null means the default vault.</summary>
    public VaultService Open(string? name)
    {
        var data = registry.Read();
        if (string.IsNullOrEmpty(name))
        {
            name = data.DefaultVault ?? throw VaultErrors.NoDefaultVault();
        }

        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        return Service(registered);
    }

    private VaultService Service(RegisteredVault registered) => new(registered.Name, Session(registered), time, caller);

    /// <summary>A vault's information, for a caller allowed <paramref name="action"/> on it.</summary>
    private VaultInfo ReadInfoAs(RegisteredVault registered, string? defaultVault, string action)
    {
        Service(registered).AuthorizeVaultWide(action);
        return ReadInfo(registered, defaultVault);
    }

    private VaultSession Session(RegisteredVault registered) => VaultSession.Get(registered.Path, registered.Name, caller);

    private VaultInfo ReadInfo(RegisteredVault registered, string? defaultVault)
    {
        var session = Session(registered);
        VaultRow row;
        int terms;
        string? mechanism;
        using (var db = session.Store.BeginRead())
        {
            row = db.ReadVault();
            var keyring = db.ReadKeyring().Where(k => k.Purpose == Keyring.DataPurpose).ToList();
            terms = keyring.Count;
            mechanism = keyring.LastOrDefault()?.Mechanism;
        }

        var settings = KeyProtectorSettings.FromJson(row.KeyProtector);
        return new VaultInfo
        {
            VaultName = registered.Name,
            VaultId = row.VaultId,
            Path = registered.Path,
            KeyProtector = settings.Kind,
            KeyLocation = KeyProtectors.Describe(settings, registered.Path),
            Pkcs11Library = settings.Library,
            TokenLabel = settings.TokenLabel,
            TokenSerial = settings.TokenSerial,
            KeyLabel = settings.KeyLabel,
            WrapMechanism = mechanism,
            KeyringTerms = terms,
            Unlocked = session.IsUnlocked,
            SoftDeleteRetentionInDays = row.RetentionDays,
            EnablePurgeProtection = row.PurgeProtection,
            IsDefault = string.Equals(defaultVault, registered.Name, StringComparison.OrdinalIgnoreCase),
            Created = UnixTime.FromMs(row.Created),
        };
    }
}
