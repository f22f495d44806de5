using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Text.Unicode;
using Vault.Core.Authorization;
using Vault.Core.Integrity;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// Secrets: versioned values with Azure Key Vault's rules (names, limits, soft delete, purge
/// protection, backups). Each operation is a body the runner runs on <see cref="ObjectKind.Secret"/>.
/// </summary>
public sealed partial class VaultService
{
    private static ObjectKind Secrets => ObjectKind.Secret;

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
        var operation = Operation(Secrets.Operations.Set).On(Secrets, name).Requires(VaultActions.SecretSet);
        return Run(operation, utf8Value, (op, value) => SetSecret(op, name, value, null, options ?? new SecretSetOptions()));
    }

    /// <summary>
    /// Stores a new version of a secret as the kind of value it is (text, bytes, a credential, a
    /// hashtable), with that type recorded so reading it gives the same kind back.
    /// </summary>
    public VaultSecretProperties SetSecret(string name, SecretContent value, SecretSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        var stored = value.Encode(name);
        try
        {
            var operation = Operation(Secrets.Operations.Set).On(Secrets, name).Requires(VaultActions.SecretSet);
            var type = SecretContent.Record(value.Type);
            return Run(operation, stored.WrittenSpan, (op, v) => SetSecret(op, name, v, type, options ?? new SecretSetOptions()));
        }
        finally
        {
            stored.Clear();
        }
    }

    private VaultSecretProperties SetSecret(Operation op, string name, ReadOnlySpan<byte> utf8Value, string? secretType, SecretSetOptions options)
    {
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

        var version = NewVersion();
        var now = Now;
        // Who set which value can be found later (Get-VaultAuditHash), never what it was.
        op.Version = version;
        op.Property("valueHmac", op.Barrier.ValueHmac(utf8Value));
        var objects = op.Transaction.Objects;
        FollowRotation(op);
        var existing = FindUndeleted(op, name, now);
        var secret = existing?.Object;
        var latest = existing?.Version;
        var stored = secret ?? objects.Insert(Secrets, name, now);
        var sealedValue = op.Barrier.Seal(Secrets, name, version, utf8Value, out var term);
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
            SecretType = secretType,
            Term = term,
            Value = sealedValue,
        };
        (stored, row) = ObjectIntegrity.Append(op.Barrier, stored, row);
        objects.InsertVersion(stored, row);
        objects.WriteState(stored);
        op.State.Object(secret, stored);
        op.ObjectName = stored.Name;
        op.Description = secret is null ? "A new secret, its first version." : "A new version.";
        return Properties(stored.Name, row);
    }

    /// <summary>
    /// Reads a version (the latest when <paramref name="version"/> is null) with its value. A disabled
    /// version is refused; an expired or not-yet-valid one is returned (see <see cref="ValidityWarning"/>).
    /// </summary>
    public VaultSecret GetSecret(string name, string? version = null)
    {
        using var plaintext = GetSecretBytes(name, version);
        return new VaultSecret(plaintext.Properties, SecretValue.ToSecureString(plaintext.Value));
    }

    /// <summary>
    /// As <see cref="GetSecret"/>, with the value as its UTF-8 bytes, for a host that writes them out
    /// (a server's response). The record is committed before this returns; dispose the result to
    /// zero the value.
    /// </summary>
    public SecretPlaintext GetSecretBytes(string name, string? version = null) => GetSecretBytes(name, version, expected: null);

    /// <summary>
    /// Reads a version as the kind of value it was set as, refused with SecretTypeMismatch (before
    /// its value is opened, and audited as a failed read) when it is not <paramref name="expected"/>
    /// (text answers String and SecureString alike).
    /// </summary>
    public (VaultSecretProperties Properties, SecretContent Value) GetSecretContent(string name, string? version, SecretType expected)
    {
        using var plaintext = GetSecretBytes(name, version, expected);
        var properties = plaintext.Properties;
        return (properties, SecretContent.Decode(properties.SecretType, plaintext.Value, properties.Name));
    }

    private SecretPlaintext GetSecretBytes(string name, string? version, SecretType? expected)
    {
        version = SecretRules.NormalizeVersion(version);
        var operation = Operation(Secrets.Operations.Get).On(Secrets, name, version).Requires(VaultActions.SecretGet);
        return Run(operation, op =>
        {
            var (secret, row) = FindVersion(op, name, version, withValue: true);
            op.ObjectName = secret.Name;
            op.Version = row.Version;
            if (!row.Enabled)
            {
                throw VaultErrors.SecretDisabled(secret.Name, row.Version, VaultName);
            }

            var type = SecretContent.Recorded(row.SecretType);
            if (expected is { } wanted && !SecretContent.Answers(type, wanted))
            {
                throw VaultErrors.SecretTypeMismatch(secret.Name, row.Version, type, wanted);
            }

            var plaintext = Open(secret.Name, row);
            try
            {
                // The record commits before the value leaves: a read that cannot be audited returns nothing.
                op.Commit();
                return new SecretPlaintext(Properties(secret.Name, row), plaintext);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(plaintext);
                throw;
            }
        });
    }

    /// <summary>The attributes of a version (the latest when <paramref name="version"/> is null), without its value.</summary>
    public VaultSecretProperties GetSecretProperties(string name, string? version = null)
    {
        version = SecretRules.NormalizeVersion(version);
        var operation = Operation(Secrets.Operations.GetMetadata).On(Secrets, name, version).Requires(VaultActions.SecretReadMetadata);
        return Run(operation, op =>
        {
            var (secret, row) = FindVersion(op, name, version, withValue: false);
            op.ObjectName = secret.Name;
            op.Version = row.Version;
            return Properties(secret.Name, row);
        });
    }

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

    // ---- listings ---------------------------------------------------------------------------

    /// <summary>Streams the latest version of every live secret whose name matches, by name.</summary>
    public IEnumerable<VaultSecretProperties> ListSecrets(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        var (visible, _) = BeginListing(Secrets.Operations.List, pattern, deleted: false);
        return StreamSecrets(pattern, visible, afterName: null);
    }

    /// <summary>
    /// One page of <see cref="ListSecrets(NamePattern?)"/>: at most <paramref name="maxResults"/>
    /// secrets after where <paramref name="continuationToken"/> (from the page before) left off, and
    /// the token for the next page, or null at the end.
    /// </summary>
    public VaultPage<VaultSecretProperties> ListSecrets(NamePattern? pattern, int maxResults, string? continuationToken)
    {
        pattern ??= NamePattern.All;
        var (visible, after) = BeginListing(Secrets.Operations.List, pattern, deleted: false, maxResults, continuationToken);
        return Paging.Page(StreamSecrets(pattern, visible, after), Secrets, deleted: false, maxResults, s => s.Name);
    }

    /// <summary>
    /// A listing's record (what it asked for), which is written before anything is listed; then what
    /// the caller may see, and, for a page, the name it starts after. Listings are filtered, never refused.
    /// </summary>
    private (Func<string, bool> Visible, string? After) BeginListing(string operation, NamePattern pattern, bool deleted, int? maxResults = null, string? continuationToken = null)
    {
        var op = Operation(operation).Property("pattern", pattern.ToString()).Property("maxResults", maxResults?.ToString(CultureInfo.InvariantCulture));
        return Run(op, _ => (SecretVisibility(), maxResults is { } max ? Paging.Start(Secrets, deleted, max, continuationToken) : null));
    }

    private Func<string, bool> SecretVisibility() => Visibility(Secrets, VaultActions.SecretReadMetadata);

    /// <remarks>
    /// Each object is checked against its MAC as it is read; one that fails is left out, the rest are
    /// listed, and the listing ends with MetadataIntegrityFailed naming every one left out.
    /// </remarks>
    private IEnumerable<VaultSecretProperties> StreamSecrets(NamePattern pattern, Func<string, bool> visible, string? afterName)
    {
        // The keyring the listing's operation opened; tab completion, which opens none, checks nothing.
        var barrier = vault.HeldBarrier;
        List<VaultException>? damaged = null;
        using (var db = vault.Store.Connect())
        {
            foreach (var (secret, row) in db.Objects.ListLatest(Secrets, deleted: false, pattern.Prefix, afterName))
            {
                Request.Cancellation.ThrowIfCancellationRequested();
                if (!pattern.IsMatch(secret.Name) || !visible(secret.Name))
                {
                    continue;
                }

                if (Damage(barrier, secret, row) is { } damage)
                {
                    (damaged ??= []).Add(damage);
                    continue;
                }

                yield return Properties(secret.Name, row);
            }
        }

        ThrowDamaged(damaged);
    }

    private VaultException? Damage(Crypto.CryptoBarrier? barrier, ObjectRow secret, VersionRow latest)
    {
        if (barrier is null)
        {
            return null;
        }

        try
        {
            ObjectIntegrity.CheckLatest(barrier, VaultName, secret, latest);
            return null;
        }
        catch (VaultException ex)
        {
            return ex;
        }
    }

    private void ThrowDamaged(List<VaultException>? damaged)
    {
        if (damaged is { Count: 1 })
        {
            throw damaged[0];
        }

        if (damaged is { Count: > 1 })
        {
            throw VaultErrors.MetadataIntegrityFailed(VaultName, string.Join(", ", damaged.Select(d => d.Target)),
                string.Join(" ", damaged.Select(d => d.Message)));
        }
    }

    /// <summary>Streams every version of a live secret, newest first.</summary>
    public IEnumerable<VaultSecretProperties> ListVersions(string name)
    {
        var operation = Operation(Secrets.Operations.ListVersions).On(Secrets, name).Requires(VaultActions.SecretReadMetadata);
        var secret = Run(operation, op =>
        {
            var objects = op.Transaction.Objects;
            var found = objects.Find(Secrets, name);
            if (found is null || found.IsDeleted)
            {
                throw VaultErrors.SecretNotFound(name, VaultName);
            }

            op.ObjectName = found.Name;
            ObjectIntegrity.CheckAll(op.Barrier, VaultName, found, objects.ListVersions(found, withValue: false, oldestFirst: true).ToList());
            return found;
        });
        return StreamVersions(secret);
    }

    private IEnumerable<VaultSecretProperties> StreamVersions(ObjectRow secret)
    {
        using var db = vault.Store.BeginRead();
        foreach (var row in db.Objects.ListVersions(secret, withValue: false))
        {
            Request.Cancellation.ThrowIfCancellationRequested();
            yield return Properties(secret.Name, row);
        }
    }

    /// <summary>
    /// The latest version of every live secret that expires within <paramref name="window"/> from now
    /// (already expired ones included), by name; filtered to what the caller may see.
    /// </summary>
    public IEnumerable<VaultSecretProperties> ListExpiring(TimeSpan window)
    {
        var visible = Run(Operation(Secrets.Operations.List).Property("expiringWithin", window.ToString("c", CultureInfo.InvariantCulture)), _ =>
        {
            if (window < TimeSpan.Zero)
            {
                throw VaultErrors.InvalidExpiringWithin(window);
            }

            return SecretVisibility();
        });
        var until = time.GetUtcNow().UtcDateTime + window;
        return StreamSecrets(NamePattern.All, visible, afterName: null).Where(s => s.Expires is { } expires && expires <= until);
    }

    /// <summary>
    /// Live (or deleted and still recoverable) secret names that match, as a listing would show them;
    /// at most <paramref name="limit"/>. Completion is not an operation: it opens no keyring, prompts
    /// for no PIN and writes no audit record.
    /// </summary>
    public IReadOnlyList<string> CompleteSecretNames(NamePattern pattern, bool deleted, int limit)
    {
        var names = deleted
            ? StreamDeleted(pattern, SecretVisibility(), afterName: null).Select(s => s.Name)
            : StreamSecrets(pattern, SecretVisibility(), afterName: null).Select(s => s.Name);
        return names.Take(limit).ToList();
    }

    /// <summary>
    /// Every version of a live secret, newest first, for tab completion: the caller must be able to
    /// read the secret's metadata. Completion is not an operation: it opens no keyring, prompts for no
    /// PIN and writes no audit record. Empty when the secret is not there or not the caller's to see.
    /// </summary>
    public IReadOnlyList<VaultSecretProperties> CompleteVersions(string name, int limit)
    {
        if (!SecretRules.IsValidSecretName(name) || !SecretVisibility()(name))
        {
            return [];
        }

        using var db = vault.Store.BeginRead();
        var secret = db.Objects.Find(Secrets, name);
        if (secret is null || secret.IsDeleted)
        {
            return [];
        }

        return db.Objects.ListVersions(secret, withValue: false).Take(limit).Select(row => Properties(secret.Name, row)).ToList();
    }

    // ---- lookups before a change ------------------------------------------------------------

    /// <summary>
    /// What <paramref name="change"/> checks before it acts, without acting: the caller's role for
    /// it at the secret's scope, then the secret (and version) it would find, checked against its
    /// MACs. -WhatIf runs it first, so a missing secret, version or role is the change's own error
    /// and not a report of what would be done. No value is read and nothing changes; a failure is
    /// recorded as the change's would be, a success not at all. Returns the name as stored.
    /// </summary>
    public string FindSecretFor(SecretChange change, string name, string? version = null)
    {
        version = change == SecretChange.Update ? SecretRules.NormalizeVersion(version) : null;
        var (operationName, action) = change switch
        {
            SecretChange.Update => (Secrets.Operations.Update, VaultActions.SecretUpdate),
            SecretChange.Delete => (Secrets.Operations.Delete, VaultActions.SecretDelete),
            SecretChange.Purge => (Secrets.Operations.Purge, VaultActions.SecretPurge),
            SecretChange.Recover => (Secrets.Operations.Recover, VaultActions.SecretRecover),
            SecretChange.Backup => (Secrets.Operations.Backup, VaultActions.SecretBackup),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        var operation = Operation(operationName).On(Secrets, name, version).Requires(action).RecordFailureOnly();
        return Run(operation, op =>
        {
            using var db = vault.Store.BeginRead();
            var found = db.Objects.FindLatest(Secrets, name, withValue: false);
            if (change is SecretChange.Purge or SecretChange.Recover)
            {
                // Past retention means purged, whether or not a write has swept it away yet.
                if (found is not { } d || !d.Object.IsDeleted || d.Object.ScheduledPurge <= Now)
                {
                    throw VaultErrors.DeletedSecretNotFound(name, VaultName);
                }

                ObjectIntegrity.CheckLatest(op.Barrier, VaultName, d.Object, d.Version);
                return d.Object.Name;
            }

            if (found is not { } f || f.Object.IsDeleted)
            {
                throw VaultErrors.SecretNotFound(name, VaultName);
            }

            ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
            if (version is not null && !string.Equals(version, f.Version.Version, StringComparison.Ordinal)
                && db.Objects.GetVersion(f.Object, version, withValue: false) is null)
            {
                throw VaultErrors.SecretVersionNotFound(f.Object.Name, version, VaultName);
            }

            return f.Object.Name;
        });
    }

    // ---- attributes -------------------------------------------------------------------------

    /// <summary>Changes a version's attributes (the latest when <paramref name="version"/> is null); never its value.</summary>
    public VaultSecretProperties UpdateSecret(string name, string? version, SecretUpdate update)
    {
        version = SecretRules.NormalizeVersion(version);
        var operation = Operation(Secrets.Operations.Update).On(Secrets, name, version).Requires(VaultActions.SecretUpdate);
        return Run(operation, op =>
        {
            SecretRules.ValidateContentType(name, update.ContentType);
            var tags = update.Tags is null ? null : TagsJson.Serialize(SecretRules.ValidateTags(name, update.Tags));
            var objects = op.Transaction.Objects;
            var (secret, row) = FindVersion(op, name, version, withValue: false);
            op.ObjectName = secret.Name;
            op.Version = row.Version;
            if (update.IsEmpty)
            {
                op.Description = "Nothing to change.";
                return Properties(secret.Name, row);
            }

            var changed = row with
            {
                Enabled = update.Enabled ?? row.Enabled,
                NotBefore = update.ClearNotBefore ? null : update.NotBefore is null ? row.NotBefore : ToMs(update.NotBefore),
                Expires = update.ClearExpires ? null : update.Expires is null ? row.Expires : ToMs(update.Expires),
                ContentType = update.ContentType is null ? row.ContentType : EmptyToNull(update.ContentType),
                Tags = update.Tags is null ? row.Tags : tags,
                Updated = Now,
            };
            SecretRules.ValidateValidity(secret.Name, UnixTime.FromMs(changed.NotBefore), UnixTime.FromMs(changed.Expires));
            var (state, sealedVersion) = ObjectIntegrity.Update(op.Barrier, secret, row, changed);
            changed = sealedVersion;
            objects.UpdateVersionAttributes(state, changed);
            objects.WriteState(state);
            op.State.Object(secret, state);
            op.Description = "Changed: " + string.Join(", ", update.ChangedNames());
            return Properties(secret.Name, changed);
        });
    }

    // ---- soft delete, recovery, purge -------------------------------------------------------

    /// <summary>Soft-deletes every version of a secret; it stays recoverable for the vault's retention period.</summary>
    public DeletedVaultSecret DeleteSecret(string name)
    {
        var operation = Operation(Secrets.Operations.Delete).On(Secrets, name).Requires(VaultActions.SecretDelete);
        return Run(operation, op =>
        {
            var now = Now;
            var db = op.Transaction;
            PurgeExpired(op, now);
            var found = db.Objects.FindLatest(Secrets, name, withValue: false);
            if (found is not { } f || f.Object.IsDeleted)
            {
                throw VaultErrors.SecretNotFound(name, VaultName);
            }

            ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
            // The purge date comes from the retention: only as the audit head vouches for it.
            op.State.RequireBound();
            var purgeAt = now + (long)TimeSpan.FromDays(op.State.Row.RetentionDays).TotalMilliseconds;
            var deleted = ObjectIntegrity.Seal(op.Barrier, f.Object with { Deleted = now, ScheduledPurge = purgeAt });
            db.Objects.WriteState(deleted);
            op.State.Object(f.Object, deleted);
            op.ObjectName = f.Object.Name;
            op.Description = $"Recoverable until {UnixTime.FromMs(purgeAt):O}.";
            return Deleted(deleted, f.Version);
        });
    }

    /// <summary>Streams deleted secrets whose name matches, by name. Reads only: it never writes.</summary>
    public IEnumerable<DeletedVaultSecret> ListDeletedSecrets(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        var (visible, _) = BeginListing(Secrets.Operations.ListDeleted, pattern, deleted: true);
        return StreamDeleted(pattern, visible, afterName: null);
    }

    /// <summary>One page of <see cref="ListDeletedSecrets(NamePattern?)"/>, as <see cref="ListSecrets(NamePattern?, int, string?)"/> pages.</summary>
    public VaultPage<DeletedVaultSecret> ListDeletedSecrets(NamePattern? pattern, int maxResults, string? continuationToken)
    {
        pattern ??= NamePattern.All;
        var (visible, after) = BeginListing(Secrets.Operations.ListDeleted, pattern, deleted: true, maxResults, continuationToken);
        return Paging.Page(StreamDeleted(pattern, visible, after), Secrets, deleted: true, maxResults, s => s.Name);
    }

    private IEnumerable<DeletedVaultSecret> StreamDeleted(NamePattern pattern, Func<string, bool> visible, string? afterName)
    {
        var now = Now;
        // The keyring the listing's operation opened; tab completion, which opens none, checks nothing.
        var barrier = vault.HeldBarrier;
        List<VaultException>? damaged = null;
        using (var db = vault.Store.Connect())
        {
            foreach (var (secret, row) in db.Objects.ListLatest(Secrets, deleted: true, pattern.Prefix, afterName))
            {
                Request.Cancellation.ThrowIfCancellationRequested();
                // Past retention means purged, whether or not a write has swept it away yet.
                if (!(secret.ScheduledPurge > now && pattern.IsMatch(secret.Name) && visible(secret.Name)))
                {
                    continue;
                }

                if (Damage(barrier, secret, row) is { } damage)
                {
                    (damaged ??= []).Add(damage);
                    continue;
                }

                yield return Deleted(secret, row);
            }
        }

        ThrowDamaged(damaged);
    }

    public DeletedVaultSecret GetDeletedSecret(string name)
    {
        var operation = Operation(Secrets.Operations.GetDeleted).On(Secrets, name).Requires(VaultActions.SecretReadMetadata);
        return Run(operation, op =>
        {
            var found = op.Transaction.Objects.FindLatest(Secrets, name, withValue: false);
            if (found is not { } f || !f.Object.IsDeleted || f.Object.ScheduledPurge <= Now)
            {
                throw VaultErrors.DeletedSecretNotFound(name, VaultName);
            }

            ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
            op.ObjectName = f.Object.Name;
            return Deleted(f.Object, f.Version);
        });
    }

    /// <summary>Brings a deleted secret back, with all its versions.</summary>
    public VaultSecretProperties RecoverSecret(string name)
    {
        var operation = Operation(Secrets.Operations.Recover).On(Secrets, name).Requires(VaultActions.SecretRecover);
        return Run(operation, op =>
        {
            var objects = op.Transaction.Objects;
            PurgeExpired(op, Now);
            var found = objects.FindLatest(Secrets, name, withValue: false);
            if (found is not { } f || !f.Object.IsDeleted)
            {
                throw VaultErrors.DeletedSecretNotFound(name, VaultName);
            }

            ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
            var recovered = ObjectIntegrity.Seal(op.Barrier, f.Object with { Deleted = null, ScheduledPurge = null });
            objects.WriteState(recovered);
            op.State.Object(f.Object, recovered);
            op.ObjectName = f.Object.Name;
            return Properties(f.Object.Name, f.Version);
        });
    }

    /// <summary>Deletes a soft-deleted secret for good. Refused while the vault has purge protection.</summary>
    public void PurgeSecret(string name)
    {
        var operation = Operation(Secrets.Operations.Purge).On(Secrets, name).Requires(VaultActions.SecretPurge);
        Run(operation, op =>
        {
            var db = op.Transaction;
            PurgeExpired(op, Now);
            var secret = db.Objects.Find(Secrets, name);
            if (secret is null || !secret.IsDeleted)
            {
                throw VaultErrors.DeletedSecretNotFound(name, VaultName);
            }

            ObjectIntegrity.CheckObject(op.Barrier, VaultName, secret);
            // Purge protection, once on, stays on: only a state the audit head vouches for can say it is off.
            op.State.RequireBound();
            if (op.State.Row.PurgeProtection)
            {
                throw VaultErrors.SecretPurgeProtected(secret.Name, VaultName, UnixTime.FromMs(secret.ScheduledPurge!.Value));
            }

            db.Objects.Delete(secret);
            op.State.Object(secret, null);
            op.ObjectName = secret.Name;
        });
    }

    // ---- backup and restore -----------------------------------------------------------------

    /// <summary>Every version and attribute of a live secret, in one blob sealed under the vault's keyring.</summary>
    public byte[] BackupSecret(string name)
    {
        var operation = Operation(Secrets.Operations.Backup).On(Secrets, name).Requires(VaultActions.SecretBackup);
        return Run(operation, op =>
        {
            var versions = new List<SecretBackup.Version>();
            try
            {
                var objects = op.Transaction.Objects;
                var secret = objects.Find(Secrets, name);
                if (secret is null || secret.IsDeleted)
                {
                    throw VaultErrors.SecretNotFound(name, VaultName);
                }

                var rows = objects.ListVersions(secret, withValue: true, oldestFirst: true).ToList();
                ObjectIntegrity.CheckAll(op.Barrier, VaultName, secret, rows);
                foreach (var row in rows)
                {
                    versions.Add(new(row with { Value = [] }, Open(secret.Name, row)));
                }

                op.ObjectName = secret.Name;
                op.Description = $"{versions.Count} version(s).";
                op.Commit();
                var payload = SecretBackup.Write(secret.Name, versions);
                try
                {
                    return op.Barrier.SealBackup(payload.WrittenSpan);
                }
                finally
                {
                    payload.Clear();
                }
            }
            finally
            {
                foreach (var v in versions)
                {
                    CryptographicOperations.ZeroMemory(v.Value);
                }
            }
        });
    }

    /// <summary>
    /// Restores a backup read from <paramref name="blob"/>, refused before anything is read when it is
    /// larger than any backup can be (<see cref="SecretRules.MaxBackupBytes"/>).
    /// </summary>
    public VaultSecretProperties RestoreSecret(Stream blob, string source)
    {
        if (blob.CanSeek)
        {
            SecretRules.ValidateBackupSize(blob.Length, source);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = blob.Read(chunk, 0, chunk.Length)) > 0)
        {
            SecretRules.ValidateBackupSize(buffer.Length + read, source);

            buffer.Write(chunk, 0, read);
        }

        return RestoreSecret(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), source);
    }

    /// <summary>
    /// Restores a backup blob: every version keeps its id and attributes and is sealed afresh
    /// under this vault. Refused when the name exists (live or deleted) or the blob is damaged,
    /// from another keyring, or breaks a rule. <paramref name="source"/> names the blob in errors.
    /// </summary>
    public VaultSecretProperties RestoreSecret(ReadOnlySpan<byte> blob, string source)
    {
        var operation = Operation(Secrets.Operations.Restore).Of(Secrets).Property("source", source);
        return Run(operation, blob, (op, sealedBlob) => RestoreSecret(op, sealedBlob, source));
    }

    private VaultSecretProperties RestoreSecret(Operation op, ReadOnlySpan<byte> blob, string source)
    {
        // The blob may be sealed under a term another process added since this one read the keyring.
        vault.Refresh(opener);
        var payload = vault.Barrier(opener).OpenBackup(blob, source);
        string name;
        List<SecretBackup.Version> versions;
        try
        {
            (name, versions) = SecretBackup.Read(payload, source);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }

        try
        {
            op.ObjectName = name;
            ValidateRestored(name, versions, source);
            Authorize(VaultActions.SecretRestore, Secrets.Scope(name));
            var now = Now;
            var objects = op.Transaction.Objects;
            FollowRotation(op);
            var existing = FindUndeleted(op, name, now);
            if (existing is not null)
            {
                throw VaultErrors.SecretAlreadyExists(existing.Value.Object.Name, VaultName);
            }

            var secret = objects.Insert(Secrets, name, versions[0].Attributes.Created);
            var barrier = vault.Barrier(opener);
            VersionRow? last = null;
            foreach (var (row, value) in versions)
            {
                last = row with { Value = barrier.Seal(Secrets, name, row.Version, value, out var term), Term = term, Ordinal = 0, Mac = null };
                (secret, last) = ObjectIntegrity.Append(barrier, secret, last);
                objects.InsertVersion(secret, last);
            }

            objects.WriteState(secret);
            op.State.Object(null, secret);

            op.Version = last!.Version;
            op.Description = $"{versions.Count} version(s).";
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
                if (row.SecretType is not null)
                {
                    // A restore brings in only what a set could have stored: a type this version knows, and a value of that type.
                    var type = SecretContent.Recorded(row.SecretType);
                    if (type == SecretType.Unknown)
                    {
                        throw VaultErrors.InvalidSecretValue(name, row.Version);
                    }

                    SecretContent.Decode(type, value, name);
                }
            }
        }
        catch (VaultException ex)
        {
            throw VaultErrors.BackupInvalid(source, string.Format(CultureInfo.InvariantCulture, Messages.BackupMalformed, ex.ErrorId), ex);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// <summary>Opens a stored value, first following a rotation made by another process if the term is new here.</summary>
    private byte[] Open(string name, VersionRow row)
    {
        if (!vault.Barrier(opener).Contains(row.Term))
        {
            vault.Refresh(opener);
        }

        return vault.Barrier(opener).Open(Secrets, name, row.Version, row.Term, row.Value);
    }

    /// <summary>Inside a write: new values go under the newest term, even one another process just added.</summary>
    private void FollowRotation(Operation op)
    {
        if (op.Transaction.Keyring.MaxTerm() > vault.Barrier(opener).ActiveTerm)
        {
            vault.Refresh(opener);
        }
    }

    /// <summary>
    /// Inside a write: the live secret of that name with its latest version (checked), or null when the
    /// name is free. A name held by a deleted secret inside its retention is not free (SecretIsDeleted);
    /// one past it is purged first.
    /// </summary>
    private (ObjectRow Object, VersionRow Version)? FindUndeleted(Operation op, string name, long now)
    {
        PurgeExpired(op, now);
        var found = op.Transaction.Objects.FindLatest(Secrets, name, withValue: false);
        if (found is not { } f)
        {
            return null;
        }

        ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
        return f.Object.IsDeleted
            ? throw VaultErrors.SecretIsDeleted(f.Object.Name, VaultName, UnixTime.FromMs(f.Object.ScheduledPurge!.Value))
            : f;
    }

    /// <summary>Deletes secrets past their retention, each checked first (only its own MAC can say when it is due), and takes them off the state.</summary>
    private void PurgeExpired(Operation op, long now)
    {
        foreach (var purged in op.Transaction.Objects.PurgeExpired(now))
        {
            ObjectIntegrity.CheckObject(op.Barrier, VaultName, purged);
            op.State.Object(purged, null);
        }
    }

    /// <summary>A live secret's version (the latest when <paramref name="version"/> is null), checked against its MACs.</summary>
    private (ObjectRow Secret, VersionRow Row) FindVersion(Operation op, string name, string? version, bool withValue)
    {
        var objects = op.Transaction.Objects;
        var found = objects.FindLatest(Secrets, name, withValue && version is null);
        if (found is not { } f || f.Object.IsDeleted)
        {
            throw VaultErrors.SecretNotFound(name, VaultName);
        }

        ObjectIntegrity.CheckLatest(op.Barrier, VaultName, f.Object, f.Version);
        if (version is null || string.Equals(version, f.Version.Version, StringComparison.Ordinal))
        {
            return version is null ? f : (f.Object, objects.GetVersion(f.Object, version, withValue)!);
        }

        var row = objects.GetVersion(f.Object, version, withValue)
            ?? throw VaultErrors.SecretVersionNotFound(f.Object.Name, version, VaultName);
        // An older version: it is checked with every other, since one put back as it was before has a MAC of its own.
        ObjectIntegrity.CheckAll(op.Barrier, VaultName, f.Object, objects.ListVersions(f.Object, withValue: false, oldestFirst: true).ToList());
        return (f.Object, row);
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
        SecretType = SecretContent.Recorded(row.SecretType),
    };

    private DeletedVaultSecret Deleted(ObjectRow secret, VersionRow row) =>
        new(Properties(secret.Name, row), UnixTime.FromMs(secret.Deleted!.Value), UnixTime.FromMs(secret.ScheduledPurge!.Value));

    private static long? ToMs(DateTime? value) => value is { } v ? UnixTime.ToMs(v) : null;

    private static string? EmptyToNull(string s) => s.Length == 0 ? null : s;

    private static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
