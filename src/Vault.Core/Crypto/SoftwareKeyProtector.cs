using System.Security.Cryptography;
using Vault.Core.Resources;

namespace Vault.Core.Crypto;

/// <summary>
/// The zero-setup protector: a 32-byte root key in a file beside the vault, created readable and
/// writable by its owner only. Whoever can read that file and the vault can read every secret:
/// the file's permissions are the boundary (see ARCHITECTURE.md).
/// </summary>
internal sealed class SoftwareKeyProtector : IKeyProtector
{
    public const string KindName = "Software";
    private const byte WrapFormat = 1;

    private readonly byte[] rootKey;

    private SoftwareKeyProtector(string keyFile, KeyProtectorSettings settings, byte[] rootKey)
    {
        Location = keyFile;
        this.rootKey = rootKey;
        Settings = settings;
    }

    public string Kind => KindName;

    public string Location { get; }

    public KeyProtectorSettings Settings { get; }

    /// <summary>
    /// The key file of a vault: <c>&lt;vault file&gt;.key</c>, beside it, so a vault copied or renamed
    /// together with its key file keeps working.
    /// </summary>
    public static string KeyFileFor(string vaultPath) => Path.GetFullPath(vaultPath) + ".key";

    /// <summary>Makes a new root key file; fails if the file exists, so no key is ever overwritten.</summary>
    public static SoftwareKeyProtector Create(string vaultPath)
    {
        var settings = new KeyProtectorSettings { Kind = KindName };
        var keyFile = KeyFileFor(vaultPath);
        var key = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
        RandomNumberGenerator.Fill(key);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(keyFile, options))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }

            return new SoftwareKeyProtector(keyFile, settings, key);
        }
        catch (IOException) when (File.Exists(keyFile))
        {
            CryptographicOperations.ZeroMemory(key);
            throw VaultErrors.VaultFileExists(keyFile);
        }
    }

    public static SoftwareKeyProtector Open(KeyProtectorSettings settings, string vaultPath, string vaultName)
    {
        var keyFile = KeyFileFor(vaultPath);
        byte[] key;
        try
        {
            key = ReadKey(keyFile);
        }
        catch (FileNotFoundException ex)
        {
            throw VaultErrors.KeyProtectorUnavailable(vaultName, string.Format(Messages.KeyFileNotFound, keyFile), ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.KeyProtectorUnavailable(vaultName, ex.Message, ex);
        }

        if (key.Length != Aead.KeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw VaultErrors.KeyProtectorUnavailable(vaultName, string.Format(Messages.KeyFileInvalid, keyFile));
        }

        return new SoftwareKeyProtector(keyFile, settings, key);
    }

    private static byte[] ReadKey(string keyFile)
    {
        using var stream = new FileStream(keyFile, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length != Aead.KeySize)
        {
            return [];
        }

        var key = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
        stream.ReadExactly(key);
        return key;
    }

    public byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context)
    {
        var sealedKey = Aead.Seal(rootKey, key, context);
        var wrapped = new byte[1 + sealedKey.Length];
        wrapped[0] = WrapFormat;
        sealedKey.CopyTo(wrapped, 1);
        return wrapped;
    }

    public byte[] Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context)
    {
        if (wrapped.Length == 0 || wrapped[0] != WrapFormat)
        {
            throw new CryptographicException("Unknown wrapped-key format.");
        }

        return Aead.Open(rootKey, wrapped[1..], context);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(rootKey);
}
