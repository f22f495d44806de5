using System.Collections.Concurrent;
using System.Security;
using Vault.Core.Identity;
using Vault.Core.Registry;

namespace Vault.Core;

/// <summary>
/// The vaults one user knows (the registry in the Vault home folder) and their lifecycle: create,
/// register, update, remove, choose the default, and open one by name through the
/// <see cref="VaultEngine"/>, which any other host opens vaults through by location.
/// </summary>
public sealed class VaultManager
{
    /// <summary>The environment variable that moves the Vault home folder (tests and portable setups use it).</summary>
    public const string HomeVariable = "VAULT_HOME";

    private static readonly ConcurrentDictionary<string, VaultManager> Managers = new(VaultLocation.PathComparer);

    private readonly VaultRegistry registry;
    private readonly VaultEngine engine;
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
        engine = time is null ? VaultEngine.Shared : new VaultEngine(time);
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
    public VaultInfo CreateVault(string name, string? path = null, int retentionDays = SecretRules.DefaultRetentionDays, bool purgeProtection = false, KeyProtectorOptions? keyProtector = null, RequestContext? request = null)
    {
        SecretRules.ValidateVaultName(name);
        SecretRules.ValidateRetention(retentionDays);
        keyProtector ??= KeyProtectorOptions.Software;
        keyProtector.Validate();
        var location = VaultLocation.File(path ?? System.IO.Path.Combine(Home, "vaults", name + ".vault"));

        return registry.Update(data =>
        {
            if (data.Find(name) is not null)
            {
                throw VaultErrors.VaultAlreadyExists(name);
            }

            if (VaultEngine.Exists(location))
            {
                throw VaultErrors.VaultFileExists(location.Address);
            }

            try
            {
                OwnerOnlyFile.CreateDirectory(System.IO.Path.GetDirectoryName(location.Address)!);
            }
            catch (Exception ex) when (FileFailure.IsReadOnly(ex) || FileFailure.IsDiskFull(ex))
            {
                throw FileFailure.IsDiskFull(ex) ? VaultErrors.VaultDiskFull(location.Address, name, ex) : VaultErrors.VaultReadOnly(location.Address, name, ex);
            }

            VaultService created;
            try
            {
                created = engine.Create(location, name, retentionDays, purgeProtection, keyProtector, caller, request);
            }
            catch (VaultException ex) when (ex.ErrorId.StartsWith("Output", StringComparison.Ordinal) && ex.Kind is VaultErrorKind.ReadOnly or VaultErrorKind.StorageFull)
            {
                // The key file beside the vault could not be written: the vault's folder is read-only or full.
                throw ex.Kind == VaultErrorKind.ReadOnly ? VaultErrors.VaultReadOnly(location.Address, name, ex) : VaultErrors.VaultDiskFull(location.Address, name, ex);
            }

            var registered = new RegisteredVault(name, location.Address)
            {
                VaultId = created.Trust.VaultId,
                Fingerprint = created.Trust.Fingerprint,
                Pkcs11Library = created.Trust.Pkcs11Libraries.FirstOrDefault(),
            };
            var updated = data with
            {
                Vaults = [.. data.Vaults, registered],
                DefaultVault = data.DefaultVault ?? name,
            };
            return (updated, ReadInfo(registered, updated.DefaultVault));
        });
    }

    /// <summary>
    /// Makes an existing vault file known to this user, reading it but changing nothing. The vault's id
    /// is pinned now, its fingerprint when its keyring first opens for this user; a PKCS#11 library is
    /// trusted for it only when given here (<paramref name="pkcs11Library"/>), never from the file.
    /// With <paramref name="replace"/>, a registration of the same name or file is replaced: how a user
    /// trusts a vault again after an intended change, or trusts its token's library.
    /// </summary>
    public VaultInfo RegisterVault(string path, string? name = null, string? pkcs11Library = null, bool replace = false)
    {
        var (location, settings, vaultName) = RegistrationOf(path, name);
        name = vaultName;
        return registry.Update(data =>
        {
            var vaults = data.Vaults;
            if (replace)
            {
                vaults = vaults.Where(v => !string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase)
                    && !VaultLocation.PathComparer.Equals(v.Path, location.Address)).ToList();
                VaultCache.Evict(location);
            }
            else
            {
                CheckFree(data, name, location);
            }

            var registered = new RegisteredVault(name, location.Address)
            {
                VaultId = settings.VaultId,
                Pkcs11Library = pkcs11Library is null ? null : System.IO.Path.GetFullPath(pkcs11Library),
            };
            var updated = data with { Vaults = [.. vaults, registered], DefaultVault = data.DefaultVault ?? name };
            return (updated, ReadInfo(registered, updated.DefaultVault));
        });
    }

    /// <summary>
    /// What <see cref="RegisterVault"/> checks before it registers, without registering: the file is a
    /// vault, its name is valid and, unless <paramref name="replace"/>, neither the name nor the file is
    /// registered already. -WhatIf runs it first, so it reports only what the registration would do.
    /// </summary>
    public void CheckRegistration(string path, string? name = null, bool replace = false)
    {
        var (location, _, vaultName) = RegistrationOf(path, name);
        if (!replace)
        {
            CheckFree(registry.Read(), vaultName, location);
        }
    }

    /// <summary>
    /// The name the registry spells a registered vault with (null or empty: the default vault), or
    /// NoDefaultVault or VaultNotFound, as a change to it would find: -WhatIf runs it first. Reads the registry only.
    /// </summary>
    public string RegisteredName(string? name)
    {
        var data = registry.Read();
        if (string.IsNullOrEmpty(name))
        {
            name = data.DefaultVault ?? throw VaultErrors.NoDefaultVault();
        }

        return (data.Find(name) ?? throw VaultErrors.VaultNotFound(name)).Name;
    }

    private static (VaultLocation Location, Storage.VaultRow Settings, string Name) RegistrationOf(string path, string? name)
    {
        var location = VaultLocation.File(path);
        if (!VaultEngine.Exists(location))
        {
            throw VaultErrors.VaultFileToRegisterNotFound(location.Address);
        }

        var settings = VaultEngine.ReadSettings(location);
        name ??= settings.Name;
        SecretRules.ValidateVaultName(name);
        return (location, settings, name);
    }

    private static void CheckFree(RegistryData data, string name, VaultLocation location)
    {
        if (data.Find(name) is not null)
        {
            throw VaultErrors.VaultAlreadyExists(name);
        }

        if (data.FindByPath(location.Address) is { } existing)
        {
            throw VaultErrors.VaultPathAlreadyRegistered(location.Address, existing.Name);
        }
    }

    /// <summary>Changes this user's registration of a vault (a pin, a trusted library), if it is still registered.</summary>
    private void Pin(string name, Func<RegisteredVault, RegisteredVault> change) =>
        registry.Update(data =>
        {
            var registered = data.Find(name);
            if (registered is null)
            {
                return (data, false);
            }

            var vaults = data.Vaults.Select(v => ReferenceEquals(v, registered) ? change(v) : v).ToList();
            return (data with { Vaults = vaults }, true);
        });

    /// <summary>Forgets a vault without touching its files.</summary>
    public void UnregisterVault(string name)
    {
        registry.Update(data =>
        {
            var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
            var isDefault = string.Equals(data.DefaultVault, registered.Name, StringComparison.OrdinalIgnoreCase);
            var updated = data with
            {
                Vaults = data.Vaults.Where(v => !ReferenceEquals(v, registered)).ToList(),
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

    /// <summary>
    /// The vaults whose names match, in registration order, each read from its file. A vault that
    /// cannot be read (its file missing, damaged, read-only...) is listed with its
    /// <see cref="VaultInfo.Status"/> and the reason, from what the registration knows; only a caller
    /// refused the vault (AccessDenied) gets an error for it. An exact name that matches none is
    /// VaultNotFound, as the last entry.
    /// </summary>
    public IEnumerable<(string Name, VaultInfo? Info, VaultException? Error)> GetVaults(NamePattern? pattern = null, RequestContext? request = null)
    {
        pattern ??= NamePattern.All;
        var data = registry.Read();
        var found = false;
        foreach (var registered in data.Vaults.Where(v => pattern.IsMatch(v.Name)))
        {
            found = true;
            VaultInfo? info = null;
            VaultException? error = null;
            try
            {
                info = ReadInfoAs(registered, data.DefaultVault, request);
            }
            catch (VaultException ex) when (ex.Kind == VaultErrorKind.PermissionDenied)
            {
                error = ex;
            }
            catch (VaultException ex)
            {
                info = Broken(registered, data.DefaultVault, (VaultException)VaultException.Named(ex, registered.Name));
            }

            yield return (registered.Name, info, error);
        }

        if (!found && pattern.Pattern is { } exact && !NamePattern.HasWildcard(exact))
        {
            yield return (exact, null, VaultErrors.VaultNotFound(exact));
        }
    }

    /// <summary>A vault that did not open, as Get-Vault lists it: what the registration knows, and why.</summary>
    private static VaultInfo Broken(RegisteredVault registered, string? defaultVault, VaultException ex) => new()
    {
        VaultName = registered.Name,
        VaultId = registered.VaultId ?? Guid.Empty,
        Path = registered.Path,
        KeyProtector = string.Empty,
        Pkcs11Library = registered.Pkcs11Library,
        SoftDeleteRetentionInDays = 0,
        EnablePurgeProtection = false,
        IsDefault = string.Equals(defaultVault, registered.Name, StringComparison.OrdinalIgnoreCase),
        Status = ex.ErrorId switch
        {
            "VaultFileNotFound" => VaultStatus.Missing,
            "VaultSchemaTooNew" => VaultStatus.Unavailable,
            _ => ex.Kind switch
            {
                VaultErrorKind.Damaged or VaultErrorKind.InvalidData => VaultStatus.Damaged,
                VaultErrorKind.ReadOnly => VaultStatus.ReadOnly,
                VaultErrorKind.StorageFull => VaultStatus.DiskFull,
                _ => VaultStatus.Unavailable,
            },
        },
        StatusReason = ex.Message,
        StatusErrorId = ex.ErrorId,
    };

    public VaultInfo GetVault(string name)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        return ReadInfoAs(registered, data.DefaultVault, null);
    }

    /// <summary>Changes a vault's retention, or turns purge protection on (never off).</summary>
    public VaultInfo UpdateVault(string name, int? retentionDays, bool? purgeProtection, RequestContext? request = null)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        Service(registered, request).UpdateSettings(retentionDays, purgeProtection);
        return ReadInfo(registered, data.DefaultVault);
    }

    /// <summary>
    /// Deletes a vault's files (database, -wal, -shm, key file) and forgets it. Refused while purge
    /// protection is on and the vault holds secrets, live or deleted and inside retention.
    /// When the vault file was already gone, only the registration is removed (a key file is never
    /// deleted without the vault it opens, which may yet be restored). A vault whose file is damaged
    /// (VaultDamaged) is refused, unless <paramref name="removeDamaged"/>: then its files and its
    /// software key file are deleted without the checks, which need a readable file, and without a
    /// record, since its audit log is in that file.
    /// </summary>
    public VaultRemoval RemoveVault(string name, RequestContext? request = null, bool removeDamaged = false)
    {
        var data = registry.Read();
        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        var removal = VaultRemoval.FileWasMissing;
        if (VaultEngine.Exists(registered.Location))
        {
            try
            {
                VaultEngine.Delete(Service(registered, request));
                removal = VaultRemoval.Removed;
            }
            catch (VaultException ex) when (ex.Kind == VaultErrorKind.Damaged)
            {
                if (!removeDamaged)
                {
                    throw VaultException.Named(ex, registered.Name);
                }

                VaultEngine.DeleteDamaged(registered.Location);
                removal = VaultRemoval.DamagedRemoved;
            }
        }

        UnregisterVault(registered.Name);
        return removal;
    }

    /// <summary>Opens a vault's keyring now (with a token PIN for a PKCS#11 vault, kept for this process).</summary>
    public VaultInfo Unlock(string? name, SecureString? pin, RequestContext? request = null)
    {
        var vault = Open(name, request);
        vault.Unlock(pin);
        return InfoOf(vault.VaultName);
    }

    /// <summary>
    /// Zeroes a vault's keyring in this process and forgets its PIN. It needs no role: it only
    /// forgets what this process holds.
    /// </summary>
    public VaultInfo Lock(string? name)
    {
        var vault = Open(name);
        vault.Lock();
        return InfoOf(vault.VaultName);
    }

    private VaultInfo InfoOf(string name)
    {
        var data = registry.Read();
        return ReadInfo(data.Find(name)!, data.DefaultVault);
    }

    /// <summary>The data plane of a vault; <paramref name="name"/> null means the default vault.</summary>
    public VaultService Open(string? name, RequestContext? request = null)
    {
        var data = registry.Read();
        if (string.IsNullOrEmpty(name))
        {
            name = data.DefaultVault ?? throw VaultErrors.NoDefaultVault();
        }

        var registered = data.Find(name) ?? throw VaultErrors.VaultNotFound(name);
        return Service(registered, request);
    }

    /// <summary>
    /// A registered vault, opened with what this user trusts about it. A registration from before
    /// identities were pinned has its vault id pinned at this first open, and every registration
    /// without a fingerprint has it pinned when the keyring first opens.
    /// </summary>
    private VaultService Service(RegisteredVault registered, RequestContext? request, bool pin = true)
    {
        var trust = new VaultTrust
        {
            VaultId = registered.VaultId,
            Fingerprint = registered.Fingerprint,
            Pkcs11Libraries = registered.Pkcs11Library is { } library ? [library] : [],
            OnFirstFingerprint = pin && registered.Fingerprint is null
                ? fingerprint => Pin(registered.Name, r => r.Fingerprint is null ? r with { Fingerprint = fingerprint } : r)
                : null,
            OnTrustedLibrary = library => Pin(registered.Name, r => r with { Pkcs11Library = library }),
        };
        VaultService vault;
        try
        {
            vault = engine.Open(registered.Location, caller, request, registered.Name, trust);
        }
        catch (VaultException ex) when (ex.ForVault is not null)
        {
            throw VaultException.Named(ex, registered.Name);
        }

        if (pin && registered.VaultId is null)
        {
            var id = vault.Cached.VaultId;
            Pin(registered.Name, r => r.VaultId is null ? r with { VaultId = id } : r);
        }

        return vault;
    }

    /// <summary>A vault's information, for a caller allowed to see the vault (Vault/vault/read at any scope).</summary>
    private VaultInfo ReadInfoAs(RegisteredVault registered, string? defaultVault, RequestContext? request)
    {
        var vault = Service(registered, request);
        vault.AuthorizeVaultWide(VaultActions.VaultRead);
        return Describe(vault, registered, defaultVault);
    }

    /// <remarks>Called inside registry changes too, so it pins nothing (that would change the registry inside its own change).</remarks>
    private VaultInfo ReadInfo(RegisteredVault registered, string? defaultVault) => Describe(Service(registered, null, pin: false), registered, defaultVault);

    private static VaultInfo Describe(VaultService vault, RegisteredVault registered, string? defaultVault)
    {
        try
        {
            return vault.Describe(string.Equals(defaultVault, registered.Name, StringComparison.OrdinalIgnoreCase));
        }
        catch (VaultException ex) when (ex.ForVault is not null)
        {
            throw VaultException.Named(ex, registered.Name);
        }
    }
}

/// <summary>What <see cref="VaultManager.RemoveVault"/> did.</summary>
public enum VaultRemoval
{
    /// <summary>The vault's files and its key file were deleted, and it was forgotten.</summary>
    Removed,

    /// <summary>The vault file was already gone: only the registration was removed (a key file beside it is kept).</summary>
    FileWasMissing,

    /// <summary>The vault file was damaged: it, its -wal and -shm files and its software key file were deleted unchecked and unrecorded.</summary>
    DamagedRemoved,
}
