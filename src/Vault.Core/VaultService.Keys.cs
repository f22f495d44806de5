using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>What a re-encryption did: how many versions moved, and the ones it could not open.</summary>
public sealed record ReencryptionResult(long Moved, IReadOnlyList<VaultException> Damaged);

/// <summary>Key management: rotation, re-encryption, moving between key protectors, keyring export and import.</summary>
public sealed partial class VaultService
{
    private const int ReencryptBatch = 256;

    /// <summary>The vault's key protector settings as stored (kind, where the root key is).</summary>
    private KeyProtectorSettings ProtectorSettings()
    {
        using var db = Store.Connect();
        return KeyProtectorSettings.FromJson(db.ReadVault().KeyProtector);
    }

    /// <summary>
    /// Starts a new keyring term: a new data key, wrapped by the root key and chained to the term
    /// before. New values use it; old terms still open. Returns the new term.
    /// </summary>
    public int RotateDataKey() => Audited(AuditOperations.KeyRotate, null, call =>
    {
        Authorize(VaultActions.KeyringRotate, RbacScope.Root);
        session.Refresh(VaultName);
        var keyring = session.GetKeyring(VaultName);
        using var protector = session.OpenProtector(VaultName);
        using var db = call.Begin();
        if (db.MaxTerm() > keyring.ActiveTerm)
        {
            session.Refresh(VaultName);
        }

        var term = keyring.ActiveTerm + 1;
        var key = Keyring.NewDataKey();
        try
        {
            var wrapped = protector.Wrap(key, AssociatedData.ForKeyringEntry(session.VaultId, term, Keyring.DataPurpose));
            db.InsertKeyringEntry(new KeyringRow(
                term,
                Keyring.DataPurpose,
                wrapped.Bytes,
                wrapped.Mechanism,
                Keyring.Check(session.VaultId, term, Keyring.DataPurpose, key),
                keyring.SealChain(term, key),
                Now));
            call.Description = $"Keyring term {term} is now the active data key.";
            call.Commit(db);
            keyring.Add(term, key);
            return term;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    });

    /// <summary>Makes a new root key in the same protector (a new key file, or a new token key) and re-wraps the keyring under it.</summary>
    public void RotateRootKey() => Audited(AuditOperations.RootKeyRotate, null, call =>
    {
        Authorize(VaultActions.KeyringRotate, RbacScope.Root);
        var settings = ProtectorSettings();
        var options = settings.Kind == Pkcs11KeyProtector.KindName
            ? new KeyProtectorOptions { Kind = settings.Kind, Pkcs11Library = settings.Library, TokenLabel = settings.TokenLabel, KeyLabel = settings.KeyLabel }
            : KeyProtectorOptions.Software;
        var keyring = CurrentKeyring();
        var pin = session.PinCopy();
        try
        {
            using var protector = KeyProtectors.Create(options, Path, VaultName, existingVault: true, freshKey: true, pin);
            call.Description = $"A new root key in {settings.Kind}.";
            Install(keyring, protector, call);
        }
        finally
        {
            Zero(pin);
        }
    });

    /// <summary>
    /// Moves the vault to another key protector by re-wrapping its keyring, in one transaction: a
    /// failure leaves the vault opening exactly as before. Leaving Software deletes the old key file.
    /// </summary>
    public void ChangeKeyProtector(KeyProtectorOptions options) => Audited(AuditOperations.KeyProtectorChange, null, call =>
    {
        options.Validate();
        Authorize(VaultActions.KeyringProtector, RbacScope.Root);
        var current = ProtectorSettings();
        if (string.Equals(current.Kind, options.Kind, StringComparison.OrdinalIgnoreCase)
            && (!options.IsPkcs11 || (current.Library == options.Pkcs11Library && current.TokenLabel == options.TokenLabel
                && (options.KeyLabel is null || options.KeyLabel == current.KeyLabel))))
        {
            throw VaultErrors.KeyProtectorUnchanged(VaultName, KeyProtectors.Describe(current, Path));
        }

        var keyring = CurrentKeyring();
        using var protector = KeyProtectors.Create(options, Path, VaultName, existingVault: true);
        call.Description = $"From {current.Kind} to {options.Kind}.";
        Install(keyring, protector, call);
        AfterProtectorChange(current, options);
    });

    /// <summary>The keyring sealed under a passphrase (PBKDF2-HMAC-SHA512), for recovery with <see cref="ImportKeyring"/>.</summary>
    public byte[] ExportKeyring(SecureString password) => Audited(AuditOperations.KeyringExport, null, call =>
    {
        KeyringExport.ValidatePassword(password);
        Authorize(VaultActions.KeyringExport, RbacScope.Root);
        return KeyringExport.Seal(CurrentKeyring(), password);
    });

    /// <summary>
    /// Puts an exported keyring under a key protector, without the vault's current one: the way back
    /// after a lost key file or HSM. The export must hold every term of this vault's keyring.
    /// </summary>
    public void ImportKeyring(ReadOnlySpan<byte> blob, SecureString password, KeyProtectorOptions options, string source)
    {
        // The vault's own protector may be what was lost: the record's key comes from the import.
        var call = Call(AuditOperations.KeyringImport, null).Property("source", source).TryOpen();
        try
        {
            ImportKeyring(call, blob, password, options, source);
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    private void ImportKeyring(AuditCall call, ReadOnlySpan<byte> blob, SecureString password, KeyProtectorOptions options, string source)
    {
        options.Validate();
        Authorize(VaultActions.KeyringImport, RbacScope.Root);
        var current = ProtectorSettings();
        var (keyringId, _, keys) = KeyringExport.Open(blob, password, source);
        using var imported = new Keyring(session.VaultId, session.KeyringId);
        try
        {
            if (keyringId != session.KeyringId)
            {
                throw VaultErrors.KeyringBackupInvalid(source, Messages.KeyringBackupOtherKeyring);
            }

            List<KeyringRow> rows;
            using (var db = Store.Connect())
            {
                rows = db.ReadKeyring();
            }

            foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
            {
                var key = keys.FirstOrDefault(k => k.Term == row.Term).Key;
                if (key is null || !Keyring.CheckMatches(session.VaultId, row.Term, row.Purpose, key, row.KeyCheck))
                {
                    throw VaultErrors.KeyringBackupInvalid(source, string.Format(CultureInfo.InvariantCulture, Messages.KeyringBackupMissingTerm, row.Term));
                }

                imported.Add(row.Term, (byte[])key.Clone());
            }
        }
        finally
        {
            foreach (var (_, key) in keys)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        var replacingSoftware = current.Kind == SoftwareKeyProtector.KindName || File.Exists(SoftwareKeyProtector.KeyFileFor(Path));
        using var protector = KeyProtectors.Create(options, Path, VaultName, existingVault: replacingSoftware);
        call.Use(imported);
        call.Description = $"Keyring imported under {options.Kind}.";
        Install(imported, protector, call);
        session.Lock();
        AfterProtectorChange(current, options);
    }

    /// <summary>
    /// Moves every version still sealed under an older term onto the newest, in batches of one
    /// transaction each: an interruption loses nothing, and running it again carries on. A version
    /// whose ciphertext fails its integrity check stays where it is and is reported, so one damaged
    /// version never blocks the rest.
    /// </summary>
    public ReencryptionResult ReencryptSecrets(IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellation = default) =>
        Audited(AuditOperations.SecretReencrypt, null, call => Reencrypt(call, progress, cancellation));

    /// <summary>Batches commit on their own (each leaves every value readable); the record follows the last.</summary>
    private ReencryptionResult Reencrypt(AuditCall call, IProgress<(long Done, long Total)>? progress, CancellationToken cancellation)
    {
        Authorize(VaultActions.KeyringRotate, RbacScope.Root);
        session.Refresh(VaultName);
        var barrier = session.GetBarrier(VaultName);
        var term = session.GetKeyring(VaultName).ActiveTerm;
        long total;
        using (var db = Store.Connect())
        {
            total = db.CountVersionsBelowTerm(term);
        }

        long moved = 0, seen = 0, cursor = 0;
        var damaged = new List<VaultException>();
        progress?.Report((0, total));
        while (true)
        {
            if (cancellation.IsCancellationRequested)
            {
                throw VaultErrors.ReencryptionCancelled(VaultName, moved, total);
            }

            using var db = Store.BeginWrite();
            var batch = db.VersionsBelowTerm(term, cursor, ReencryptBatch);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var (seq, name, version, oldTerm, value) in batch)
            {
                cursor = seq;
                byte[] plaintext;
                try
                {
                    plaintext = barrier.Open(name, version, oldTerm, value);
                }
                catch (VaultException ex)
                {
                    damaged.Add(ex);
                    continue;
                }

                try
                {
                    db.ResealVersion(seq, oldTerm, term, barrier.Seal(name, version, plaintext, term));
                    moved++;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }
            }

            db.Commit();
            seen += batch.Count;
            progress?.Report((seen, Math.Max(total, seen)));
        }

        call.Description = $"{moved} version(s) moved to term {term}; {damaged.Count} damaged left where they were.";
        return new ReencryptionResult(moved, damaged);
    }

    /// <summary>The keyring with every term in the file.</summary>
    private Keyring CurrentKeyring()
    {
        session.Refresh(VaultName);
        return session.GetKeyring(VaultName);
    }

    /// <summary>Re-wraps every term under <paramref name="protector"/> and names it in the vault file, in one transaction.</summary>
    private void Install(Keyring keyring, IKeyProtector protector, AuditCall call)
    {
        try
        {
            using var db = call.Begin();
            foreach (var row in db.ReadKeyring().Where(r => r.Purpose == Keyring.DataPurpose))
            {
                if (!keyring.Contains(row.Term))
                {
                    // A rotation elsewhere added a term since the keyring was read: refuse rather than strand it.
                    throw VaultErrors.KeyringIntegrityFailed(VaultName, row.Term);
                }

                var key = keyring.Key(row.Term);
                var wrapped = protector.Wrap(key, AssociatedData.ForKeyringEntry(session.VaultId, row.Term, row.Purpose));
                db.UpdateKeyringWrap(row.Term, wrapped.Bytes, wrapped.Mechanism, Keyring.Check(session.VaultId, row.Term, row.Purpose, key));
            }

            db.UpdateKeyProtector(protector.Settings.ToJson());
            call.Commit(db);
        }
        catch
        {
            protector.Abort();
            throw;
        }

        protector.Commit();
    }

    /// <summary>After leaving the software protector its key file protects nothing: delete it. Keep a PIN given for the new token.</summary>
    private void AfterProtectorChange(KeyProtectorSettings previous, KeyProtectorOptions options)
    {
        if (previous.Kind == SoftwareKeyProtector.KindName && options.IsPkcs11)
        {
            File.Delete(SoftwareKeyProtector.KeyFileFor(Path));
        }

        if (options.IsPkcs11 && KeyProtectors.PinBytes(options.Pin) is { } pin)
        {
            try
            {
                session.Unlock(VaultName, pin);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pin);
            }
        }
    }

    private static void Zero(byte[]? bytes)
    {
        if (bytes is not null)
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
