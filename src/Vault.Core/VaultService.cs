using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Text.Unicode;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Identity;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// The data plane of one vault: one method per operation. Every rule (names, limits, soft delete,
/// purge protection) is enforced here, so every caller (cmdlets, tests, a later server) meets it.
/// </summary>
public sealed partial class VaultService
{
    private readonly VaultSession session;
    private readonly TimeProvider time;

    internal VaultService(string vaultName, VaultSession session, TimeProvider time, CallerContext caller)
    {
        VaultName = vaultName;
        this.session = session;
        this.time = time;
        Caller = caller;
    }

    /// <summary>Who is calling: every operation is decided for this principal and its groups.</summary>
    public CallerContext Caller { get; }

    /// <summary>The name this user knows the vault by.</summary>
    public string VaultName { get; }

    public string Path => session.Path;

    internal VaultSession Session => session;

    private VaultStore Store => session.Store;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- set and get ------------------------------------------------------------------------

    /// <summary>Stores a new version of a secret. Content type and tags carry forward unless given.</summary>
    public VaultSecretProperties SetSecret(string name, SecureString value, SecretSetOptions? options = null)
    {
        var plaintext = SecretValue.ToUtf8(value, name);
        try
        {
            return SetSecret(name, plaintext, options);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Stores a new version of a secret from its UTF-8 bytes, which the caller zeroes.</summary>
    public VaultSecretProperties SetSecret(string name, ReadOnlySpan<byte> utf8Value, SecretSetOptions? options = null)
    {
        var call = Call(AuditOperations.SecretSet, name).Open();
        try
        {
            return SetSecret(call, name, utf8Value, options ?? new SecretSetOptions());
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    private VaultSecretProperties SetSecret(AuditCall call, string name, ReadOnlySpan<byte> utf8Value, SecretSetOptions options)
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretSet, RbacScope.ForSecret(name));
        if (utf8Value.Length > SecretRules.MaxValueBytes)
        {
            throw VaultErrors.SecretValueTooLarge(name, utf8Value.Length);
        }

        if (!Utf8.IsValid(utf8Value))
        {
            throw VaultErrors.InvalidSecretValue(name, "it is not valid UTF-8.");
        }

        SecretRules.ValidateContentType(name, options.ContentType);
        var tags = options.Tags is null ? null : TagsJson.Serialize(SecretRules.ValidateTags(name, options.Tags));
        var notBefore = ToMs(options.NotBefore);
        var expires = ToMs(options.Expires);
        SecretRules.ValidateValidity(name, UnixTime.FromMs(notBefore), UnixTime.FromMs(expires));

        var barrier = session.GetBarrier(VaultName);
        var version = NewVersion();
        var now = Now;
        // Who set which value can be found later (Get-VaultAuditHash), never what it was.
        call.Version = version;
        call.Property("valueHmac", AuditChain.ValueHmac(call.Keyring.AuditHashKey, utf8Value));
        using var db = call.Begin();
        FollowRotation(db);
        var secret = FindUndeleted(db, name, now);
        var secretId = secret?.SecretId ?? db.InsertSecret(name, now);
        var latest = secret is null ? null : db.LatestVersion(secretId);
        var sealedValue = barrier.Seal(name, version, utf8Value, out var term);
        var row = new VersionRow
        {
            Version = version,
            Created = now,
            Updated = now,
            Enabled = options.Enabled,
            NotBefore = notBefore,
            Expires = expires,
            ContentType = options.ContentType is null ? latest?.ContentType : EmptyToNull(options.ContentType),
            Tags = options.Tags is null ? latest?.Tags : tags,
            Term = term,
            Value = sealedValue,
        };
        db.InsertVersion(secretId, row);
        call.SecretName = secret?.Name ?? name;
        call.Description = secret is null ? "A new secret, its first version." : "A new version.";
        call.Commit(db);
        return Properties(secret?.Name ?? name, row);
    }

    /// <summary>
    /// Reads a version (the latest when <paramref name="version"/> is null) with its value. A disabled
    /// version is refused; an expired or not-yet-valid one is returned (see <see cref="ValidityWarning"/>).
    /// </summary>
    public VaultSecret GetSecret(string name, string? version = null) => Audited(AuditOperations.SecretGet, name, call =>
    {
        call.Version = version;
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretGet, RbacScope.ForSecret(name));
        using var db = call.Begin();
        var (secret, row) = FindVersion(db, name, version, withValue: true);
        call.SecretName = secret.Name;
        call.Version = row.Version;
        if (!row.Enabled)
        {
            throw VaultErrors.SecretDisabled(secret.Name, row.Version, VaultName);
        }

        var plaintext = Open(secret.Name, row);
        try
        {
            // The record commits before the value leaves: a read that cannot be audited returns nothing.
            call.Commit(db);
            return new VaultSecret(Properties(secret.Name, row), SecretValue.ToSecureString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    });

    /// <summary>The attributes of a version (the latest when <paramref name="version"/> is null), without its value.</summary>
    public VaultSecretProperties GetSecretProperties(string name, string? version = null) => Audited(AuditOperations.SecretGetMetadata, name, call =>
    {
        call.Version = version;
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretReadMetadata, RbacScope.ForSecret(name));
        using var db = call.Begin();
        var (secret, row) = FindVersion(db, name, version, withValue: false);
        call.SecretName = secret.Name;
        call.Version = row.Version;
        call.Commit(db);
        return Properties(secret.Name, row);
    });

    /// <summary>A warning when a version is expired or not yet valid at this moment; null when it is valid.</summary>
    public string? ValidityWarning(VaultSecretProperties secret)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (secret.Expires is { } expires && expires <= now)
        {
            return string.Format(CultureInfo.InvariantCulture, Messages.WarningExpired, secret.Name, secret.Version, expires);
        }

        if (secret.NotBefore is { } notBefore && notBefore > now)
        {
            return string.Format(CultureInfo.InvariantCulture, Messages.WarningNotYetValid, secret.Name, secret.Version, notBefore);
        }

        return null;
    }

    /// <summary>Streams the latest version of every live secret whose name matches, by name.</summary>
    public IEnumerable<VaultSecretProperties> ListSecrets(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        Audited(AuditOperations.SecretList, null, call => call.Property("pattern", pattern.ToString()));
        return StreamSecrets(pattern, Visibility());
    }

    private IEnumerable<VaultSecretProperties> StreamSecrets(NamePattern pattern, Func<string, bool> visible)
    {
        using var db = Store.Connect();
        foreach (var (secret, row) in db.ListLatest(deleted: false, pattern.Prefix))
        {
            if (pattern.IsMatch(secret.Name) && visible(secret.Name))
            {
                yield return Properties(secret.Name, row);
            }
        }
    }

    /// <summary>Streams every version of a live secret, newest first.</summary>
    public IEnumerable<VaultSecretProperties> ListVersions(string name)
    {
        var secret = Audited(AuditOperations.SecretListVersions, name, call =>
        {
            SecretRules.ValidateSecretName(name);
            Authorize(VaultActions.SecretReadMetadata, RbacScope.ForSecret(name));
            using var db = call.Begin();
            var found = db.FindSecret(name);
            if (found is null || found.IsDeleted)
            {
                throw VaultErrors.SecretNotFound(name, VaultName);
            }

            call.SecretName = found.Name;
            call.Commit(db);
            return found;
        });
        return StreamVersions(secret);
    }

    private IEnumerable<VaultSecretProperties> StreamVersions(SecretRow secret)
    {
        using var db = Store.BeginRead();
        foreach (var row in db.ListVersions(secret.SecretId, withValue: false))
        {
            yield return Properties(secret.Name, row);
        }
    }

    // ---- attributes -------------------------------------------------------------------------

    /// <summary>Changes a version's attributes (the latest when <paramref name="version"/> is null); never its value.</summary>
    public VaultSecretProperties UpdateSecret(string name, string? version, SecretUpdate update) => Audited(AuditOperations.SecretUpdate, name, call =>
    {
        call.Version = version;
        SecretRules.ValidateSecretName(name);
        if (version is not null)
        {
            SecretRules.ValidateVersion(version);
        }

        Authorize(VaultActions.SecretUpdate, RbacScope.ForSecret(name));
        SecretRules.ValidateContentType(name, update.ContentType);
        var tags = update.Tags is null ? null : TagsJson.Serialize(SecretRules.ValidateTags(name, update.Tags));

        using var db = call.Begin();
        var secret = db.FindSecret(name);
        if (secret is null || secret.IsDeleted)
        {
            throw VaultErrors.SecretNotFound(name, VaultName);
        }

        var row = (version is null ? db.LatestVersion(secret.SecretId) : db.GetVersion(secret.SecretId, version, withValue: false))
            ?? throw VaultErrors.SecretVersionNotFound(secret.Name, version!, VaultName);
        call.SecretName = secret.Name;
        call.Version = row.Version;
        if (update.IsEmpty)
        {
            call.Description = "Nothing to change.";
            call.Commit(db);
            return Properties(secret.Name, row);
        }

        var changed = row with
        {
            Enabled = update.Enabled ?? row.Enabled,
            NotBefore = update.NotBefore is null ? row.NotBefore : ToMs(update.NotBefore),
            Expires = update.Expires is null ? row.Expires : ToMs(update.Expires),
            ContentType = update.ContentType is null ? row.ContentType : EmptyToNull(update.ContentType),
            Tags = update.Tags is null ? row.Tags : tags,
            Updated = Now,
        };
        SecretRules.ValidateValidity(secret.Name, UnixTime.FromMs(changed.NotBefore), UnixTime.FromMs(changed.Expires));
        db.UpdateVersionAttributes(secret.SecretId, changed);
        call.Description = "Changed: " + string.Join(", ", update.ChangedNames());
        call.Commit(db);
        return Properties(secret.Name, changed);
    });

    // ---- soft delete, recovery, purge -------------------------------------------------------

    /// <summary>Soft-deletes every version of a secret; it stays recoverable for the vault's retention period.</summary>
    public DeletedVaultSecret DeleteSecret(string name) => Audited(AuditOperations.SecretDelete, name, call =>
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretDelete, RbacScope.ForSecret(name));
        var now = Now;
        using var db = call.Begin();
        db.PurgeExpired(now);
        var found = db.FindLatest(name, withValue: false);
        if (found is not { } f || f.Secret.IsDeleted)
        {
            throw VaultErrors.SecretNotFound(name, VaultName);
        }

        var purgeAt = now + (long)TimeSpan.FromDays(db.ReadVault().RetentionDays).TotalMilliseconds;
        db.MarkDeleted(f.Secret.SecretId, now, purgeAt);
        call.SecretName = f.Secret.Name;
        call.Description = $"Recoverable until {UnixTime.FromMs(purgeAt):O}.";
        call.Commit(db);
        return Deleted(f.Secret with { Deleted = now, ScheduledPurge = purgeAt }, f.Version);
    });

    /// <summary>Streams deleted secrets whose name matches, by name. Reads only: it never writes.</summary>
    public IEnumerable<DeletedVaultSecret> ListDeletedSecrets(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        Audited(AuditOperations.SecretListDeleted, null, call => call.Property("pattern", pattern.ToString()));
        return StreamDeleted(pattern, Visibility());
    }

    private IEnumerable<DeletedVaultSecret> StreamDeleted(NamePattern pattern, Func<string, bool> visible)
    {
        var now = Now;
        using var db = Store.Connect();
        foreach (var (secret, row) in db.ListLatest(deleted: true, pattern.Prefix))
        {
            // Past retention means purged, whether or not a write has swept it away yet.
            if (secret.ScheduledPurge > now && pattern.IsMatch(secret.Name) && visible(secret.Name))
            {
                yield return Deleted(secret, row);
            }
        }
    }

    public DeletedVaultSecret GetDeletedSecret(string name) => Audited(AuditOperations.SecretGetDeleted, name, call =>
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretReadMetadata, RbacScope.ForSecret(name));
        using var db = call.Begin();
        var found = db.FindLatest(name, withValue: false);
        if (found is not { } f || !f.Secret.IsDeleted || f.Secret.ScheduledPurge <= Now)
        {
            throw VaultErrors.DeletedSecretNotFound(name, VaultName);
        }

        call.SecretName = f.Secret.Name;
        call.Commit(db);
        return Deleted(f.Secret, f.Version);
    });

    /// <summary>Brings a deleted secret back, with all its versions.</summary>
    public VaultSecretProperties RecoverSecret(string name) => Audited(AuditOperations.SecretRecover, name, call =>
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretRecover, RbacScope.ForSecret(name));
        var now = Now;
        using var db = call.Begin();
        db.PurgeExpired(now);
        var found = db.FindLatest(name, withValue: false);
        if (found is not { } f || !f.Secret.IsDeleted)
        {
            throw VaultErrors.DeletedSecretNotFound(name, VaultName);
        }

        db.MarkRecovered(f.Secret.SecretId);
        call.SecretName = f.Secret.Name;
        call.Commit(db);
        return Properties(f.Secret.Name, f.Version);
    });

    /// <summary>Deletes a soft-deleted secret for good. Refused while the vault has purge protection.</summary>
    public void PurgeSecret(string name) => Audited(AuditOperations.SecretPurge, name, call =>
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretPurge, RbacScope.ForSecret(name));
        var now = Now;
        using var db = call.Begin();
        db.PurgeExpired(now);
        var secret = db.FindSecret(name);
        if (secret is null || !secret.IsDeleted)
        {
            throw VaultErrors.DeletedSecretNotFound(name, VaultName);
        }

        if (db.ReadVault().PurgeProtection)
        {
            throw VaultErrors.SecretPurgeProtected(secret.Name, VaultName, UnixTime.FromMs(secret.ScheduledPurge!.Value));
        }

        db.DeleteSecret(secret.SecretId);
        call.SecretName = secret.Name;
        call.Commit(db);
        return true;
    });

    /// <summary>Purges deleted secrets whose retention has ended; returns how many. Housekeeping: no caller asks for it.</summary>
    internal int PurgeExpired()
    {
        using var db = Store.BeginWrite();
        var purged = db.PurgeExpired(Now);
        db.Commit();
        return purged;
    }

    // ---- backup and restore -----------------------------------------------------------------

    /// <summary>Every version and attribute of a live secret, in one blob sealed under the vault's keyring.</summary>
    public byte[] BackupSecret(string name) => Audited(AuditOperations.SecretBackup, name, call =>
    {
        SecretRules.ValidateSecretName(name);
        Authorize(VaultActions.SecretBackup, RbacScope.ForSecret(name));
        var keyring = session.GetKeyring(VaultName);
        var versions = new List<SecretBackup.Version>();
        try
        {
            string secretName;
            using (var db = call.Begin())
            {
                var secret = db.FindSecret(name);
                if (secret is null || secret.IsDeleted)
                {
                    throw VaultErrors.SecretNotFound(name, VaultName);
                }

                secretName = secret.Name;
                foreach (var row in db.ListVersions(secret.SecretId, withValue: true, oldestFirst: true))
                {
                    versions.Add(new(row with { Value = [] }, Open(secret.Name, row)));
                }

                call.SecretName = secretName;
                call.Description = $"{versions.Count} version(s).";
                call.Commit(db);
            }

            return SecretBackup.Seal(keyring, secretName, versions);
        }
        finally
        {
            foreach (var v in versions)
            {
                CryptographicOperations.ZeroMemory(v.Value);
            }
        }
    });

    /// <summary>
    /// Restores a backup blob: every version keeps its id and attributes and is sealed afresh
    /// under this vault. Refused when the name exists (live or deleted) or the blob is damaged,
    /// from another keyring, or breaks a rule. <paramref name="source"/> names the blob in errors.
    /// </summary>
    public VaultSecretProperties RestoreSecret(ReadOnlySpan<byte> blob, string source)
    {
        var call = Call(AuditOperations.SecretRestore, null).Open();
        call.Property("source", source);
        try
        {
            return RestoreSecret(call, blob, source);
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    private VaultSecretProperties RestoreSecret(AuditCall call, ReadOnlySpan<byte> blob, string source)
    {
        // The blob may be sealed under a term another process added since this one read the keyring.
        session.Refresh(VaultName);
        var keyring = session.GetKeyring(VaultName);
        var barrier = session.GetBarrier(VaultName);
        var (name, versions) = SecretBackup.Open(keyring, blob, source);
        try
        {
            call.SecretName = name;
            ValidateRestored(name, versions, source);
            Authorize(VaultActions.SecretRestore, RbacScope.ForSecret(name));
            var now = Now;
            using var db = call.Begin();
            FollowRotation(db);
            var existing = FindUndeleted(db, name, now);
            if (existing is not null)
            {
                throw VaultErrors.SecretAlreadyExists(existing.Name, VaultName);
            }

            var secretId = db.InsertSecret(name, versions[0].Attributes.Created);
            VersionRow? last = null;
            foreach (var (row, value) in versions)
            {
                last = row with { Value = barrier.Seal(name, row.Version, value, out var term), Term = term };
                db.InsertVersion(secretId, last);
            }

            call.Version = last!.Version;
            call.Description = $"{versions.Count} version(s).";
            call.Commit(db);
            return Properties(name, last!);
        }
        finally
        {
            foreach (var v in versions)
            {
                CryptographicOperations.ZeroMemory(v.Value);
            }
        }
    }

    private static void ValidateRestored(string name, List<SecretBackup.Version> versions, string source)
    {
        // A blob that authenticates was made by a vault holding this keyring; check the rules
        // anyway, so a restore can never bring in what a set could not.
        try
        {
            SecretRules.ValidateSecretName(name);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (row, value) in versions)
            {
                SecretRules.ValidateVersion(row.Version);
                if (!seen.Add(row.Version) || value.Length > SecretRules.MaxValueBytes || !Utf8.IsValid(value))
                {
                    throw VaultErrors.InvalidSecretValue(name, row.Version);
                }

                SecretRules.ValidateContentType(name, row.ContentType);
            }
        }
        catch (VaultException ex)
        {
            throw VaultErrors.BackupInvalid(source, string.Format(CultureInfo.InvariantCulture, Messages.BackupMalformed, ex.ErrorId), ex);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// <summary>Refuses the call unless the caller's roles allow the action at the scope. Decided before any data is read.</summary>
    internal void Authorize(string action, string scope)
    {
        var decision = session.Access().Decider.Decide(Caller, action, scope);
        if (!decision.Allowed)
        {
            throw VaultErrors.AccessDenied(decision, VaultName);
        }
    }

    /// <summary>
    /// For the vault as a whole (Get-Vault, Unlock-Vault): allowed to whoever holds the action at
    /// some scope, so a role on some secrets is enough to see the vault and unlock it for them.
    /// </summary>
    internal void AuthorizeVaultWide(string action)
    {
        var decider = session.Access().Decider;
        if (!decider.GrantsAnywhere(Caller, action))
        {
            throw VaultErrors.AccessDenied(decider.Decide(Caller, action, RbacScope.Root), VaultName);
        }
    }

    /// <summary>Which secrets a listing shows: all, with readMetadata on the vault; otherwise those it covers one by one.</summary>
    private Func<string, bool> Visibility()
    {
        var decider = session.Access().Decider;
        if (decider.Decide(Caller, VaultActions.SecretReadMetadata, RbacScope.Root).Allowed)
        {
            return _ => true;
        }

        return name => decider.Decide(Caller, VaultActions.SecretReadMetadata, RbacScope.ForSecret(name)).Allowed;
    }

    /// <summary>Opens a stored value, first following a rotation made by another process if the term is new here.</summary>
    private byte[] Open(string name, VersionRow row)
    {
        if (!session.GetKeyring(VaultName).Contains(row.Term))
        {
            session.Refresh(VaultName);
        }

        return session.GetBarrier(VaultName).Open(name, row.Version, row.Term, row.Value);
    }

    /// <summary>Inside a write: new values go under the newest term, even one another process just added.</summary>
    private void FollowRotation(VaultDb db)
    {
        if (db.MaxTerm() > session.GetKeyring(VaultName).ActiveTerm)
        {
            session.Refresh(VaultName);
        }
    }

    /// <summary>
    /// Inside a write: the live secret of that name, or null when the name is free. A name held by a
    /// deleted secret inside its retention is not free (SecretIsDeleted); one past it is purged first.
    /// </summary>
    private SecretRow? FindUndeleted(VaultDb db, string name, long now)
    {
        db.PurgeExpired(now);
        var secret = db.FindSecret(name);
        return secret is { IsDeleted: true }
            ? throw VaultErrors.SecretIsDeleted(secret.Name, VaultName, UnixTime.FromMs(secret.ScheduledPurge!.Value))
            : secret;
    }

    private (SecretRow Secret, VersionRow Row) FindVersion(VaultDb db, string name, string? version, bool withValue)
    {
        SecretRules.ValidateSecretName(name);
        if (version is not null)
        {
            SecretRules.ValidateVersion(version);
        }

        var found = db.FindLatest(name, withValue && version is null);
        if (found is not { } f || f.Secret.IsDeleted)
        {
            throw VaultErrors.SecretNotFound(name, VaultName);
        }

        if (version is null)
        {
            return f;
        }

        var row = db.GetVersion(f.Secret.SecretId, version, withValue)
            ?? throw VaultErrors.SecretVersionNotFound(f.Secret.Name, version, VaultName);
        return (f.Secret, row);
    }

    private VaultSecretProperties Properties(string name, VersionRow row) => new()
    {
        VaultName = VaultName,
        Name = name,
        Version = row.Version,
        Enabled = row.Enabled,
        NotBefore = UnixTime.FromMs(row.NotBefore),
        Expires = UnixTime.FromMs(row.Expires),
        Created = UnixTime.FromMs(row.Created),
        Updated = UnixTime.FromMs(row.Updated),
        ContentType = row.ContentType,
        Tags = TagsJson.ToHashtable(row.Tags),
    };

    private DeletedVaultSecret Deleted(SecretRow secret, VersionRow row) =>
        new(Properties(secret.Name, row), UnixTime.FromMs(secret.Deleted!.Value), UnixTime.FromMs(secret.ScheduledPurge!.Value));

    private static long? ToMs(DateTime? value) => value is { } v ? UnixTime.ToMs(v) : null;

    private static string? EmptyToNull(string s) => s.Length == 0 ? null : s;

    private static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
