using System.Security.Cryptography;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// The core's entry point, the same for every host: open a vault at a location for a caller, with
/// what the host knows of the request, and get a <see cref="VaultService"/> whose every operation
/// is validated, authorized, audited and committed by the core. The cmdlets reach it through the
/// per-user registry (<see cref="VaultManager"/>), which names vaults; a server opens the vaults
/// its configuration names, for the callers its tokens name.
/// </summary>
public sealed class VaultEngine
{
    public VaultEngine(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
    }

    /// <summary>The engine of a process that keeps no clock of its own: the cmdlets'.</summary>
    public static VaultEngine Shared { get; } = new();

    /// <summary>The operating-system account this process runs as: the caller in embedded mode.</summary>
    public static CallerContext CurrentUser => OsIdentity.CurrentCaller;

    public TimeProvider Time { get; }

    /// <summary>
    /// The vault at <paramref name="location"/>, for <paramref name="caller"/>. Opening it the first
    /// time in this process reads (and migrates) its storage; its keyring is unsealed by the first
    /// operation that needs it. <paramref name="knownAs"/> is the name errors and output use (the
    /// name the vault was created with when null).
    /// </summary>
    /// <remarks>
    /// <paramref name="trust"/> is what the opener trusts (<see cref="VaultTrust"/>): a vault whose id
    /// or fingerprint is not the one pinned there is refused (VaultIdentityMismatch), and a PKCS#11
    /// library is loaded only if it is trusted there or machine-wide (Pkcs11LibraryNotTrusted).
    /// </remarks>
    public VaultService Open(VaultLocation location, CallerContext caller, RequestContext? request = null, string? knownAs = null, VaultTrust? trust = null)
    {
        CachedVault vault;
        try
        {
            vault = VaultCache.Get(location, knownAs ?? DefaultName(location), caller);
        }
        catch (VaultException ex) when (ex.ForVault is not null)
        {
            throw VaultException.Named(ex, knownAs ?? DefaultName(location));
        }

        var name = knownAs ?? vault.Name;
        if (trust?.VaultId is { } expected && expected != vault.VaultId)
        {
            throw VaultErrors.VaultIdentityMismatch(name, location.Address, $"vault id {expected}", $"vault id {vault.VaultId}");
        }

        return new VaultService(name, vault, Time, caller, request, trust);
    }

    /// <summary>
    /// Makes a vault at <paramref name="location"/>: its storage, its root key where
    /// <paramref name="keyProtector"/> says, the first keyring term, and <paramref name="caller"/> as
    /// its Vault Administrator at <c>/</c>, all with the creation's audit record or none of it. A
    /// PKCS#11 vault is left unlocked in this process, whether its PIN was given or came from the environment.
    /// </summary>
    public VaultService Create(VaultLocation location, string name, int retentionDays, bool purgeProtection, KeyProtectorOptions keyProtector, CallerContext caller, RequestContext? request = null)
    {
        SecretRules.ValidateVaultName(name);
        SecretRules.ValidateRetention(retentionDays);
        keyProtector.Validate();
        request ??= RequestContext.None;
        var storage = VaultStorage.For(location);
        if (storage.Exists(location))
        {
            throw VaultErrors.VaultFileExists(location.Address);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var vaultId = Guid.NewGuid();
        var keyringId = Guid.NewGuid();
        using var protector = KeyProtectors.Create(keyProtector, location, name, existingVault: false);
        string fingerprint;
        try
        {
            var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
            // The audit key comes from term 1's data key: the creation is the chain's first record.
            using var barrier = CryptoBarrier.Initialize(vaultId, keyringId, protector, now, out var firstTerm);
            fingerprint = barrier.Fingerprint;
            var row = new VaultRow(vaultId, keyringId, name, now, retentionDays, purgeProtection, protector.Settings.ToJson());
            var creator = new RoleAssignmentRow(Guid.NewGuid(), caller.Principal.Id, caller.Principal.Name, caller.Principal.Type.ToString(), BuiltInRoles.All[0].Id, RbacScope.Root, now);
            creator = creator with { Mac = Integrity.MetadataFormat.Assignment(barrier, creator) };
            var description = $"Key protector {protector.Settings.Kind}; soft-delete retention {retentionDays} days; purge protection {(purgeProtection ? "on" : "off")}; {caller.Principal} is Vault Administrator at /.";
            // The state is authenticated from the start, and bound to the log's first record, the creation:
            // a log wiped or replaced later is reported from record 1.
            storage.Create(location, row, firstTerm, creator, tx => Audit.AuditChain.Append(tx.Audit, barrier, Operation.Created(name, caller, request, now, started, description), record =>
            {
                var state = row with
                {
                    ObjectsDigest = Integrity.Digest.Empty,
                    RolesDigest = Integrity.Digest.Of([creator.Mac!]),
                    KeyringDigest = Integrity.MetadataFormat.KeyringDigest(barrier, [firstTerm]),
                    FirstRecordHmac = record.Hmac,
                };
                state = state with { Mac = Integrity.MetadataFormat.State(barrier, state) };
                tx.Settings.Write(state);
                return state.Mac;
            })).Dispose();
            protector.Commit();
        }
        catch
        {
            protector.Abort();
            throw;
        }

        // The creator trusts what it made: this vault, and the library it named.
        var trust = new VaultTrust
        {
            VaultId = vaultId,
            Fingerprint = fingerprint,
            Pkcs11Libraries = keyProtector.IsPkcs11 ? [System.IO.Path.GetFullPath(keyProtector.Pkcs11Library!)] : [],
        };
        var service = Open(location, caller, request, name, trust);
        if (keyProtector.IsPkcs11)
        {
            // The PIN that made the root key unlocks the vault, whether -Pin or $env:VAULT_PKCS11_PIN
            // gave it: a given one is kept for this process, as Unlock-Vault keeps it; the variable's
            // is read again whenever the token needs it, as for any command.
            var pin = KeyProtectors.PinBytes(keyProtector.Pin);
            try
            {
                service.Cached.Unlock(new Opener(name, trust), pin);
            }
            finally
            {
                if (pin is not null)
                {
                    CryptographicOperations.ZeroMemory(pin);
                }
            }
        }

        return service;
    }

    /// <summary>A vault file's settings (its name, its id), read without migrating or writing anything.</summary>
    internal static Storage.VaultRow ReadSettings(VaultLocation location) => VaultStorage.For(location).ReadSettings(location);

    /// <summary>Whether anything is at the location.</summary>
    public static bool Exists(VaultLocation location) => VaultStorage.For(location).Exists(location);

    /// <summary>
    /// Deletes a vault: after <see cref="VaultService.PrepareRemoval"/> allows it (purge protection;
    /// the caller's role), its storage, and the key file that opened it. A refusal is recorded.
    /// </summary>
    public static void Delete(VaultService vault)
    {
        var keyFile = vault.PrepareRemoval();
        VaultCache.Evict(vault.Location);
        VaultStorage.For(vault.Location).Delete(vault.Location);
        if (keyFile is not null)
        {
            File.Delete(keyFile);
        }
    }

    /// <summary>
    /// Deletes a vault whose file its storage cannot read (VaultDamaged): its storage and the software
    /// key file beside it, if any. Nothing is checked or recorded: both need a readable file.
    /// </summary>
    internal static void DeleteDamaged(VaultLocation location)
    {
        VaultCache.Evict(location);
        VaultStorage.For(location).Delete(location);
        if (location.IsFile)
        {
            File.Delete(Crypto.SoftwareKeyProtector.KeyFileFor(location));
        }
    }

    /// <summary>Forgets a vault in this process: its storage closed and its keyring zeroed (a new process would start so).</summary>
    public static void Close(VaultLocation location) => VaultCache.Evict(location);

    private static string DefaultName(VaultLocation location) =>
        location.IsFile ? System.IO.Path.GetFileNameWithoutExtension(location.Address) : location.Address;
}
