using System.Security.Cryptography;

namespace Vault.Core.Crypto;

/// <summary>
/// The vault's data keys by term, unwrapped once per process and held in pinned memory that is
/// zeroed on <see cref="Dispose"/>. New values are sealed under the highest term; old terms still open.
/// Terms added by another process join it through the chain (see <see cref="OpenChain"/>).
/// </summary>
internal sealed class Keyring : IDisposable
{
    public const string DataPurpose = "data";

    private readonly object gate = new();
    private readonly Dictionary<int, byte[]> keys = new();
    private byte[]? auditKey;
    private byte[]? auditHashKey;
    private byte[]? metadataKey;
    private bool disposed;

    public Keyring(Guid vaultId, Guid keyringId)
    {
        VaultId = vaultId;
        KeyringId = keyringId;
    }

    public Guid VaultId { get; }

    /// <summary>Identifies the keyring across vaults and protectors; backups are bound to it.</summary>
    public Guid KeyringId { get; }

    public int ActiveTerm { get; private set; }

    /// <summary>
    /// The vault's identity as registries pin it: from term 1's data key, which no rotation of the
    /// root key, no new term and no move to another key protector changes, and which only a holder of
    /// the keyring can compute. Null until term 1 is held.
    /// </summary>
    public string? Fingerprint { get; private set; }

    /// <summary>Whether the keys are zeroed (Lock-Vault, the vault's removal): nothing can be sealed or HMAC'd with it.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (gate)
            {
                return disposed;
            }
        }
    }

    public int TermCount
    {
        get
        {
            lock (gate)
            {
                return keys.Count;
            }
        }
    }

    public IReadOnlyList<int> Terms
    {
        get
        {
            lock (gate)
            {
                return keys.Keys.Order().ToList();
            }
        }
    }

    /// <summary>Takes ownership of <paramref name="key"/>: it is copied to pinned memory and the original zeroed.</summary>
    public void Add(int term, byte[] key)
    {
        var pinned = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(pinned, 0);
        CryptographicOperations.ZeroMemory(key);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!keys.TryAdd(term, pinned))
            {
                CryptographicOperations.ZeroMemory(pinned);
                return;
            }

            ActiveTerm = Math.Max(ActiveTerm, term);
            if (term == 1)
            {
                auditKey = Derive(pinned, "Vault audit record MAC v1");
                auditHashKey = Derive(pinned, "Vault audit value hash v1");
                metadataKey = Derive(pinned, "Vault metadata MAC v1");
                Fingerprint = IdentityFingerprint(pinned);
            }
        }
    }

    /// <summary>
    /// The key of the audit chain's HMACs: derived (HKDF-SHA256) from term 1's data key, which no
    /// rotation removes, with the vault id as salt. Forging a record needs the root key.
    /// </summary>
    public ReadOnlySpan<byte> AuditKey => Derived(ref auditKey);

    /// <summary>The key under which a sensitive request field (a secret's value) is stored as an HMAC.</summary>
    public ReadOnlySpan<byte> AuditHashKey => Derived(ref auditHashKey);

    /// <summary>The key of the MACs over everything stored that decides behaviour (attributes, settings, roles, keyring rows).</summary>
    public ReadOnlySpan<byte> MetadataKey => Derived(ref metadataKey);

    private ReadOnlySpan<byte> Derived(ref byte[]? key)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return key ?? throw new InvalidOperationException("The keyring has no term 1.");
        }
    }

    /// <summary>The first 16 bytes of HMAC-SHA256(term 1 key, "Vault identity v1" ‖ vault id), hex.</summary>
    private string IdentityFingerprint(byte[] termOne)
    {
        var input = new byte[17 + 16];
        System.Text.Encoding.ASCII.GetBytes("Vault identity v1").CopyTo(input, 0);
        VaultId.TryWriteBytes(input.AsSpan(17), bigEndian: true, out _);
        return Convert.ToHexStringLower(HMACSHA256.HashData(termOne, input).AsSpan(0, 16));
    }

    private byte[] Derive(byte[] termOne, string purpose)
    {
        var derived = GC.AllocateArray<byte>(32, pinned: true);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, termOne, derived, VaultId.ToByteArray(), System.Text.Encoding.UTF8.GetBytes(purpose));
        return derived;
    }

    public bool Contains(int term)
    {
        lock (gate)
        {
            return keys.ContainsKey(term);
        }
    }

    public ReadOnlySpan<byte> Key(int term)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return keys[term];
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            foreach (var key in keys.Values)
            {
                CryptographicOperations.ZeroMemory(key);
            }

            keys.Clear();
            if (auditKey is not null)
            {
                CryptographicOperations.ZeroMemory(auditKey);
                CryptographicOperations.ZeroMemory(auditHashKey);
                CryptographicOperations.ZeroMemory(metadataKey);
            }
        }
    }

    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(Aead.KeySize);

    /// <summary>A check value that recognises a term's key once unwrapped (a wrap without associated data cannot bind it).</summary>
    public static byte[] Check(Guid vaultId, int term, string purpose, ReadOnlySpan<byte> key) =>
        HMACSHA256.HashData(key, AssociatedData.ForKeyringEntry(vaultId, term, purpose)).AsSpan(0, 16).ToArray();

    public static bool CheckMatches(Guid vaultId, int term, string purpose, ReadOnlySpan<byte> key, byte[]? expected) =>
        expected is null || CryptographicOperations.FixedTimeEquals(Check(vaultId, term, purpose, key), expected);

    /// <summary>A term's key sealed under the previous term's key: whoever holds term n-1 can follow to n.</summary>
    public byte[] SealChain(int term, ReadOnlySpan<byte> key) =>
        Aead.Seal(Key(term - 1), key, AssociatedData.ForKeyChain(VaultId, term));

    /// <summary>Opens a chain link; throws a CryptographicException when it does not authenticate.</summary>
    public byte[] OpenChain(int term, byte[] chain) =>
        Aead.Open(Key(term - 1), chain, AssociatedData.ForKeyChain(VaultId, term));
}
