using System.Security;
using System.Security.Cryptography;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core.Crypto;

/// <summary>
/// The barrier: the one holder of a vault's key material and the one user of it. It owns the
/// keyring's lifecycle (initialize a new one, unseal it with the root key, follow terms another
/// process added, rotate to a new term, rekey under another root key, seal it by zeroing) and every
/// use of a key: values sealed and opened, backups, audit MACs and value HMACs, data keys wrapped
/// and checked. No raw key leaves <c>Crypto/</c>: callers hand it rows and bytes and get rows and
/// bytes back, so storage never sees a plaintext key and the rest of the core never holds one.
/// </summary>
internal sealed class CryptoBarrier : IDisposable
{
    private readonly Keyring keyring;

    private CryptoBarrier(Keyring keyring)
    {
        this.keyring = keyring;
    }

    public Guid VaultId => keyring.VaultId;

    /// <summary>Identifies the keyring across vaults and protectors; backups and exports are bound to it.</summary>
    public Guid KeyringId => keyring.KeyringId;

    /// <summary>The term new values are sealed under: the newest this barrier holds.</summary>
    public int ActiveTerm => keyring.ActiveTerm;

    public IReadOnlyList<int> Terms => keyring.Terms;

    /// <summary>The vault's identity fingerprint (see <see cref="Keyring.Fingerprint"/>).</summary>
    public string Fingerprint => keyring.Fingerprint ?? throw new InvalidOperationException("The keyring has no term 1.");

    /// <summary>Whether the keys are zeroed (Lock-Vault, the vault's removal): nothing can be sealed or MAC'd with it.</summary>
    public bool IsSealed => keyring.IsDisposed;

    public bool Contains(int term) => keyring.Contains(term);

    /// <summary>Whether a keyring row holds a data key (the only purpose there is today).</summary>
    public static bool IsDataTerm(KeyringRow row) => row.Purpose == Keyring.DataPurpose;

    // ---- lifecycle ----------------------------------------------------------------------------

    /// <summary>A new vault's keyring: term 1, a fresh data key wrapped by <paramref name="protector"/>.</summary>
    public static CryptoBarrier Initialize(Guid vaultId, Guid keyringId, IKeyProtector protector, long now, out KeyringRow firstTerm)
    {
        var keyring = new Keyring(vaultId, keyringId);
        var key = Keyring.NewDataKey();
        try
        {
            var wrapped = protector.Wrap(key, AssociatedData.ForKeyringEntry(vaultId, 1, Keyring.DataPurpose));
            firstTerm = new KeyringRow(1, Keyring.DataPurpose, wrapped.Bytes, wrapped.Mechanism, Keyring.Check(vaultId, 1, Keyring.DataPurpose, key), null, now);
            keyring.Add(1, key);
            return new CryptoBarrier(keyring);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            keyring.Dispose();
            throw;
        }
    }

    /// <summary>Opens every data term of the keyring with the root key, checking each key it unwraps.</summary>
    public static CryptoBarrier Unseal(Guid vaultId, Guid keyringId, string vaultName, IEnumerable<KeyringRow> rows, IKeyProtector protector)
    {
        var keyring = new Keyring(vaultId, keyringId);
        try
        {
            foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
            {
                AddChecked(keyring, row, Unwrap(protector, vaultId, row, vaultName), vaultName);
            }
        }
        catch
        {
            keyring.Dispose();
            throw;
        }

        if (keyring.TermCount == 0)
        {
            keyring.Dispose();
            throw VaultErrors.KeyringIntegrityFailed(vaultName, 0);
        }

        return new CryptoBarrier(keyring);
    }

    /// <summary>
    /// Takes in the terms another process added (<paramref name="newer"/>, after <see cref="ActiveTerm"/>),
    /// following the chain from the terms it holds; only a term without a chain link needs the
    /// root key, and only then is <paramref name="protector"/> asked for it.
    /// </summary>
    public void Refresh(IEnumerable<KeyringRow> newer, string vaultName, Func<IKeyProtector> protector)
    {
        IKeyProtector? opened = null;
        try
        {
            foreach (var row in newer.Where(r => r.Purpose == Keyring.DataPurpose))
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
                    opened ??= protector();
                    key = Unwrap(opened, VaultId, row, vaultName);
                }

                AddChecked(keyring, row, key, vaultName);
            }
        }
        finally
        {
            opened?.Dispose();
        }
    }

    /// <summary>
    /// A new term: a new data key wrapped by the root key and chained to the active term. The row
    /// is for the caller to store; the barrier seals under the term once <see cref="NewTerm.Activate"/>
    /// is called after that commits.
    /// </summary>
    public NewTerm Rotate(IKeyProtector protector, long now)
    {
        var term = keyring.ActiveTerm + 1;
        var key = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
        RandomNumberGenerator.Fill(key);
        try
        {
            var wrapped = protector.Wrap(key, AssociatedData.ForKeyringEntry(VaultId, term, Keyring.DataPurpose));
            var row = new KeyringRow(term, Keyring.DataPurpose, wrapped.Bytes, wrapped.Mechanism,
                Keyring.Check(VaultId, term, Keyring.DataPurpose, key), keyring.SealChain(term, key), now);
            return new NewTerm(row, keyring, key);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
    }

    /// <summary>
    /// Every stored data term wrapped again under <paramref name="protector"/>'s root key (rotation,
    /// migration, import), with its check value, for the caller to store in one transaction. A term
    /// the barrier does not hold (a rotation elsewhere since it was read) is refused rather than stranded.
    /// </summary>
    public IReadOnlyList<RewrappedTerm> Rekey(IEnumerable<KeyringRow> stored, IKeyProtector protector, string vaultName)
    {
        var rewrapped = new List<RewrappedTerm>();
        foreach (var row in stored.Where(r => r.Purpose == Keyring.DataPurpose))
        {
            if (!keyring.Contains(row.Term))
            {
                throw VaultErrors.KeyringIntegrityFailed(vaultName, row.Term);
            }

            var key = keyring.Key(row.Term);
            var wrapped = protector.Wrap(key, AssociatedData.ForKeyringEntry(VaultId, row.Term, row.Purpose));
            rewrapped.Add(new RewrappedTerm(row.Term, wrapped.Bytes, wrapped.Mechanism, Keyring.Check(VaultId, row.Term, row.Purpose, key)));
        }

        return rewrapped;
    }

    /// <summary>The keyring sealed under a passphrase (PBKDF2-HMAC-SHA512), for recovery with <see cref="Import"/>.</summary>
    public byte[] Export(SecureString password) => KeyringExport.Seal(keyring, password);

    /// <summary>
    /// A barrier over an exported keyring, for a vault whose root key is lost: the export must be
    /// this vault's keyring and hold every data term <paramref name="rows"/> has, each matching its check.
    /// </summary>
    public static CryptoBarrier Import(ReadOnlySpan<byte> blob, SecureString password, string source, Guid vaultId, Guid keyringId, IEnumerable<KeyringRow> rows)
    {
        var (exportedKeyringId, _, keys) = KeyringExport.Open(blob, password, source);
        var imported = new Keyring(vaultId, keyringId);
        try
        {
            if (exportedKeyringId != keyringId)
            {
                throw VaultErrors.KeyringBackupInvalid(source, Messages.KeyringBackupOtherKeyring);
            }

            foreach (var row in rows.Where(r => r.Purpose == Keyring.DataPurpose))
            {
                var key = keys.FirstOrDefault(k => k.Term == row.Term).Key;
                if (key is null || !Keyring.CheckMatches(vaultId, row.Term, row.Purpose, key, row.KeyCheck))
                {
                    throw VaultErrors.KeyringBackupInvalid(source, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.KeyringBackupMissingTerm, row.Term));
                }

                imported.Add(row.Term, (byte[])key.Clone());
            }

            return new CryptoBarrier(imported);
        }
        catch
        {
            imported.Dispose();
            throw;
        }
        finally
        {
            foreach (var (_, key) in keys)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>Seals the barrier: every key zeroed. Nothing opens or MACs after it.</summary>
    public void Dispose() => keyring.Dispose();

    // ---- values -------------------------------------------------------------------------------

    /// <summary>Seals a value under the active term, bound to its vault, kind, name, version and term.</summary>
    public byte[] Seal(ObjectKind kind, string name, string version, ReadOnlySpan<byte> plaintext, out int term)
    {
        term = keyring.ActiveTerm;
        return Seal(kind, name, version, plaintext, term);
    }

    public byte[] Seal(ObjectKind kind, string name, string version, ReadOnlySpan<byte> plaintext, int term) =>
        Aead.Seal(keyring.Key(term), plaintext, AssociatedData.ForObject(VaultId, kind, name, version, term));

    /// <summary>Opens a stored value; the caller owns the plaintext and must zero it. A value that does not authenticate is SecretIntegrityFailed.</summary>
    public byte[] Open(ObjectKind kind, string name, string version, int term, ReadOnlySpan<byte> sealedValue)
    {
        if (!keyring.Contains(term))
        {
            throw VaultErrors.SecretIntegrityFailed(name, version);
        }

        try
        {
            return Aead.Open(keyring.Key(term), sealedValue, AssociatedData.ForObject(VaultId, kind, name, version, term));
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.SecretIntegrityFailed(name, version, ex);
        }
    }

    // ---- backups ------------------------------------------------------------------------------

    /// <summary>A backup's contents sealed under the active term (see <see cref="BackupSeal"/>).</summary>
    public byte[] SealBackup(ReadOnlySpan<byte> payload) => BackupSeal.Seal(keyring, payload);

    /// <summary>A backup's contents; the caller zeroes them. BackupInvalid, naming <paramref name="source"/>, when it is not this keyring's or is damaged.</summary>
    public byte[] OpenBackup(ReadOnlySpan<byte> blob, string source) => BackupSeal.Open(keyring, blob, source);

    // ---- the audit log ------------------------------------------------------------------------

    /// <summary>HMAC-SHA256 under the audit key of a record's or the head's canonical bytes.</summary>
    public byte[] AuditMac(ReadOnlySpan<byte> canonical) => AuditMacs.Compute(keyring.AuditKey, canonical);

    /// <summary>Whether <paramref name="mac"/> is the audit MAC of <paramref name="canonical"/>, compared in constant time.</summary>
    public bool AuditMacMatches(ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> mac) => AuditMacs.Matches(keyring.AuditKey, canonical, mac);

    /// <summary>An audit MAC keyed once, for a walk over the whole log.</summary>
    public AuditMacVerifier NewAuditVerifier() => new(keyring.AuditKey);

    /// <summary>A value's HMAC under the audit hash key, as records store it and Get-VaultAuditHash shows it.</summary>
    public string ValueHmac(ReadOnlySpan<byte> value) =>
        "hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(keyring.AuditHashKey, value));

    // ---- metadata -----------------------------------------------------------------------------

    /// <summary>HMAC-SHA256 under the metadata key of a row's canonical bytes (Integrity/MetadataFormat).</summary>
    public byte[] MetadataMac(ReadOnlySpan<byte> canonical) => AuditMacs.Compute(keyring.MetadataKey, canonical);

    /// <summary>Whether <paramref name="mac"/> is the metadata MAC of <paramref name="canonical"/>, compared in constant time.</summary>
    public bool MetadataMacMatches(ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> mac) => AuditMacs.Matches(keyring.MetadataKey, canonical, mac);

    // ---- helpers ------------------------------------------------------------------------------

    private static byte[] Unwrap(IKeyProtector protector, Guid vaultId, KeyringRow row, string vaultName)
    {
        try
        {
            return protector.Unwrap(row.WrappedKey, row.Mechanism, AssociatedData.ForKeyringEntry(vaultId, row.Term, row.Purpose));
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
}

/// <summary>A term made by <see cref="CryptoBarrier.Rotate"/>: its row to store, and its key, held until it joins the keyring or is dropped.</summary>
internal sealed class NewTerm : IDisposable
{
    private readonly Keyring keyring;
    private byte[]? key;

    internal NewTerm(KeyringRow row, Keyring keyring, byte[] key)
    {
        Row = row;
        this.keyring = keyring;
        this.key = key;
    }

    public KeyringRow Row { get; }

    public int Term => Row.Term;

    /// <summary>After the row commits: new values are sealed under this term.</summary>
    public void Activate()
    {
        if (key is { } held)
        {
            key = null;
            keyring.Add(Row.Term, held);
        }
    }

    /// <summary>Zeroes the key if it never joined the keyring (the row did not commit).</summary>
    public void Dispose()
    {
        if (key is { } held)
        {
            CryptographicOperations.ZeroMemory(held);
            key = null;
        }
    }
}

/// <summary>A data term wrapped under another root key, with its check value.</summary>
internal sealed record RewrappedTerm(int Term, byte[] WrappedKey, string Mechanism, byte[] KeyCheck);

/// <summary>
/// HMAC-SHA256 under the audit key, keyed once for a whole walk (Test-VaultAuditLog checks a
/// million records with one): the key is copied in and zeroed on dispose.
/// </summary>
internal sealed class AuditMacVerifier : IDisposable
{
    private readonly IncrementalHash hmac;
    private readonly byte[] computed = new byte[AuditMacs.Size];

    internal AuditMacVerifier(ReadOnlySpan<byte> key)
    {
        var copy = key.ToArray();
        try
        {
            hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, copy);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    /// <summary>Whether <paramref name="mac"/> is the audit MAC of <paramref name="canonical"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> canonical, ReadOnlySpan<byte> mac)
    {
        hmac.AppendData(canonical);
        hmac.GetHashAndReset(computed);
        return CryptographicOperations.FixedTimeEquals(computed, mac);
    }

    public void Dispose() => hmac.Dispose();
}
