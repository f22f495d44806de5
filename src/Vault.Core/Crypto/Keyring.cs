using System.Security.Cryptography;

namespace Vault.Core.Crypto;

/// <summary>
/// The vault's data keys by term, unwrapped once per process and held in pinned memory that is
/// zeroed on <see cref="Dispose"/>. New values are sealed under the highest term; old terms still open.
/// </summary>
internal sealed class Keyring : IDisposable
{
    public const string DataPurpose = "data";

    private readonly Dictionary<int, byte[]> keys = new();
    private bool disposed;

    public Keyring(Guid keyringId) => KeyringId = keyringId;

    /// <summary>Identifies the keyring across vaults and protectors; backups are bound to it.</summary>
    public Guid KeyringId { get; }

    public int ActiveTerm { get; private set; }

    public int TermCount => keys.Count;

    /// <summary>Takes ownership of <paramref name="key"/>: it is copied to pinned memory and the original zeroed.</summary>
    public void Add(int term, byte[] key)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var pinned = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(pinned, 0);
        CryptographicOperations.ZeroMemory(key);
        keys.Add(term, pinned);
        ActiveTerm = Math.Max(ActiveTerm, term);
    }

    public bool Contains(int term) => keys.ContainsKey(term);

    public ReadOnlySpan<byte> Key(int term)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return keys[term];
    }

    public void Dispose()
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
    }

    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(Aead.KeySize);
}
