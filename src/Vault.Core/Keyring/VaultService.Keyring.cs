using System.Security;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;

namespace Vault.Core;

/// <summary>What a re-encryption did: how many versions moved, and the ones it could not open.</summary>
public sealed record ReencryptionResult(long Moved, IReadOnlyList<VaultException> Damaged);

/// <summary>
/// Key management: rotation, re-encryption, moving between key protectors, keyring export and
/// import. The barrier does every step that touches a key; these operations store what it gives back.
/// </summary>
public sealed partial class VaultService
{
    private const int ReencryptBatch = 256;

    /// <summary>
    /// Starts a new keyring term: a new data key, wrapped by the root key and chained to the term
    /// before. New values use it; old terms still open. Returns the new term.
    /// </summary>
    public int RotateDataKey() => Run(Operation(AuditOperations.KeyRotate).Requires(VaultActions.KeyringRotate), op =>
    {
        vault.Refresh(opener);
        var barrier = vault.Barrier(opener);
        using var protector = vault.OpenProtector(opener);
        var keyring = op.Transaction.Keyring;
        if (keyring.MaxTerm() > barrier.ActiveTerm)
        {
            vault.Refresh(opener);
        }

        using var term = barrier.Rotate(protector, Now);
        keyring.Insert(term.Row);
        op.State.Keyring();
        op.Description = $"Keyring term {term.Term} is now the active data key.";
        op.Commit();
        term.Activate();
        return term.Term;
    });

    /// <summary>Makes a new root key in the same protector (a new key file, or a new token key) and re-wraps the keyring under it.</summary>
    public void RotateRootKey() => Run(Operation(AuditOperations.RootKeyRotate).Requires(VaultActions.KeyringRotate), op =>
    {
        var settings = vault.ProtectorSettings();
        var options = settings.Kind == Pkcs11KeyProtector.KindName
            // The library the file names is only a hint: the new key is made through a trusted one.
            ? new KeyProtectorOptions { Kind = settings.Kind, Pkcs11Library = Pkcs11Trust.Check(settings.Library, Trust.Pkcs11Libraries, VaultName), TokenLabel = settings.TokenLabel, KeyLabel = settings.KeyLabel }
            : KeyProtectorOptions.Software;
        var barrier = CurrentBarrier();
        var pin = vault.PinCopy();
        try
        {
            using var protector = KeyProtectors.Create(options, Location, VaultName, existingVault: true, freshKey: true, pin);
            op.Description = $"A new root key in {settings.Kind}.";
            Rekey(op, barrier, protector);
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
    public void ChangeKeyProtector(KeyProtectorOptions options) => Run(Operation(AuditOperations.KeyProtectorChange), op =>
    {
        options.Validate();
        Authorize(VaultActions.KeyringProtector, RbacScope.Root);
        var current = vault.ProtectorSettings();
        if (string.Equals(current.Kind, options.Kind, StringComparison.OrdinalIgnoreCase)
            && (!options.IsPkcs11 || (current.Library == options.Pkcs11Library && current.TokenLabel == options.TokenLabel
                && (options.KeyLabel is null || options.KeyLabel == current.KeyLabel))))
        {
            throw VaultErrors.KeyProtectorUnchanged(VaultName, KeyProtectors.Describe(current, Location));
        }

        var barrier = CurrentBarrier();
        using var protector = KeyProtectors.Create(options, Location, VaultName, existingVault: true);
        op.Description = $"From {current.Kind} to {options.Kind}.";
        Rekey(op, barrier, protector);
        AfterProtectorChange(current, options);
    });

    /// <summary>The keyring sealed under a passphrase (PBKDF2-HMAC-SHA512), for recovery with <see cref="ImportKeyring"/>.</summary>
    public byte[] ExportKeyring(SecureString password) => Run(Operation(AuditOperations.KeyringExport), op =>
    {
        KeyringExport.ValidatePassword(password);
        Authorize(VaultActions.KeyringExport, RbacScope.Root);
        return CurrentBarrier().Export(password);
    });

    /// <summary>
    /// Puts an exported keyring under a key protector, without the vault's current one: the way back
    /// after a lost key file or HSM. The export must hold every term of this vault's keyring.
    /// </summary>
    public void ImportKeyring(ReadOnlySpan<byte> blob, SecureString password, KeyProtectorOptions options, string source)
    {
        // The vault's own protector may be what was lost: the record's key comes from the import.
        var operation = Operation(AuditOperations.KeyringImport).Property("source", source).WithoutBarrier();
        Run(operation, blob, (op, exported) =>
        {
            ImportKeyring(op, exported, password, options, source);
            return true;
        });
    }

    private void ImportKeyring(Operation op, ReadOnlySpan<byte> blob, SecureString password, KeyProtectorOptions options, string source)
    {
        options.Validate();
        Authorize(VaultActions.KeyringImport, RbacScope.Root);
        var current = vault.ProtectorSettings();
        IReadOnlyList<Storage.KeyringRow> rows;
        using (var db = vault.Store.Connect())
        {
            rows = db.Keyring.Read();
        }

        using var imported = CryptoBarrier.Import(blob, password, source, vault.VaultId, vault.KeyringId, rows);
        var replacingSoftware = current.Kind == SoftwareKeyProtector.KindName || File.Exists(SoftwareKeyProtector.KeyFileFor(Location));
        using var protector = KeyProtectors.Create(options, Location, VaultName, existingVault: replacingSoftware);
        op.UseBarrier(imported);
        op.Description = $"Keyring imported under {options.Kind}.";
        Rekey(op, imported, protector);
        vault.Lock();
        AfterProtectorChange(current, options);
    }

    /// <summary>
    /// Moves every version still sealed under an older term onto the newest, in batches of one
    /// transaction each: an interruption loses nothing, and running it again carries on. A version
    /// whose ciphertext fails its integrity check stays where it is and is reported, so one damaged
    /// version never blocks the rest. The record follows the last batch.
    /// </summary>
    public ReencryptionResult ReencryptSecrets(IProgress<(long Done, long Total)>? progress = null, CancellationToken cancellation = default) =>
        Run(Operation(Secrets.Operations.Reencrypt).Requires(VaultActions.KeyringRotate), op => Reencrypt(op, Secrets, progress, cancellation));

    private ReencryptionResult Reencrypt(Operation op, ObjectKind kind, IProgress<(long Done, long Total)>? progress, CancellationToken cancellation)
    {
        vault.Refresh(opener);
        var barrier = vault.Barrier(opener);
        var term = barrier.ActiveTerm;
        long total;
        using (var db = vault.Store.Connect())
        {
            total = db.Objects.CountVersionsBelowTerm(kind, term);
        }

        long moved = 0, seen = 0, cursor = 0;
        var damaged = new List<VaultException>();
        progress?.Report((0, total));
        while (true)
        {
            if (cancellation.IsCancellationRequested || Request.Cancellation.IsCancellationRequested)
            {
                throw VaultErrors.ReencryptionCancelled(VaultName, moved, total);
            }

            using var db = vault.Store.BeginWrite();
            var batch = db.Objects.VersionsBelowTerm(kind, term, cursor, ReencryptBatch);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var version in batch)
            {
                cursor = version.Seq;
                byte[] plaintext;
                try
                {
                    plaintext = barrier.Open(kind, version.Name, version.Version, version.Term, version.Value);
                }
                catch (VaultException ex)
                {
                    damaged.Add(ex);
                    continue;
                }

                try
                {
                    db.Objects.Reseal(version, term, barrier.Seal(kind, version.Name, version.Version, plaintext, term));
                    moved++;
                }
                finally
                {
                    Zero(plaintext);
                }
            }

            seen += batch.Count;
            op.RecordProgress(db, $"Batch: {seen} of {Math.Max(total, seen)} version(s) looked at, {moved} moved to term {term} so far.");
            db.Commit();
            progress?.Report((seen, Math.Max(total, seen)));
        }

        op.Description = $"{moved} version(s) moved to term {term}; {damaged.Count} damaged left where they were.";
        return new ReencryptionResult(moved, damaged);
    }

    /// <summary>The barrier with every term in storage.</summary>
    private CryptoBarrier CurrentBarrier()
    {
        vault.Refresh(opener);
        return vault.Barrier(opener);
    }

    /// <summary>Re-wraps every term under <paramref name="protector"/> and names it in the vault's settings, in the operation's transaction.</summary>
    private void Rekey(Operation op, CryptoBarrier barrier, IKeyProtector protector)
    {
        try
        {
            var db = op.Transaction;
            foreach (var term in barrier.Rekey(db.Keyring.Read(), protector, VaultName))
            {
                db.Keyring.UpdateWrap(term.Term, term.WrappedKey, term.Mechanism, term.KeyCheck);
            }

            op.State.Keyring();
            op.State.Settings(row => row with { KeyProtector = protector.Settings.ToJson() });
            op.Commit();
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
        if (options.IsPkcs11)
        {
            TrustLibrary(options.Pkcs11Library!);
        }

        if (previous.Kind == SoftwareKeyProtector.KindName && options.IsPkcs11)
        {
            File.Delete(SoftwareKeyProtector.KeyFileFor(Location));
        }

        if (options.IsPkcs11 && KeyProtectors.PinBytes(options.Pin) is { } pin)
        {
            try
            {
                vault.Unlock(opener, pin);
            }
            finally
            {
                Zero(pin);
            }
        }
    }
}
