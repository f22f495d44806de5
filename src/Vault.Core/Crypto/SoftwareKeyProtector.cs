using System.Security.Cryptography;
using Vault.Core.Resources;

namespace Vault.Core.Crypto;

/// <summary>
/// The zero-setup protector: a 32-byte root key in <c>&lt;vault file&gt;.key</c>, created readable and
/// writable by its owner only. Whoever can read that file and the vault can read every secret: the
/// file's permissions are the boundary (see ARCHITECTURE.md).
/// <para>
/// A replacement root key (rotation, migration, import) is written to <c>.key.new</c> first and takes
/// the <c>.key</c> name only after the vault file has committed to it; the settings carry a check
/// value of the key, so after a crash between the two the right file is recognised and promoted.
/// </para>
/// </summary>
internal sealed class SoftwareKeyProtector : IKeyProtector
{
    public const string KindName = "Software";
    public const string Mechanism = "AES-256-GCM";
    private const byte WrapFormat = 1;
    private static readonly byte[] CheckLabel = "vault-root-check/v1"u8.ToArray();

    private readonly byte[] rootKey;
    private readonly string? pendingFile;
    private readonly bool created;

    private SoftwareKeyProtector(string keyFile, byte[] rootKey, string? pendingFile, bool created = false)
    {
        Location = keyFile;
        this.rootKey = rootKey;
        this.pendingFile = pendingFile;
        this.created = created;
        Settings = new KeyProtectorSettings { Kind = KindName, KeyCheck = Check(rootKey) };
    }

    public string Kind => KindName;

    public string Location { get; }

    public KeyProtectorSettings Settings { get; }

    /// <summary>The key file of a vault: beside it, so a vault copied or renamed with its key file keeps working.</summary>
    public static string KeyFileFor(VaultLocation vault) => vault.FilePath + ".key";

    private static string PendingFileFor(VaultLocation vault) => KeyFileFor(vault) + ".new";

    /// <summary>Makes the root key of a new vault; fails if the key file exists, so no key is ever overwritten.</summary>
    public static SoftwareKeyProtector CreateForNewVault(VaultLocation vault)
    {
        var keyFile = KeyFileFor(vault);
        var key = NewKey();
        try
        {
            WriteKeyFile(keyFile, key, FileMode.CreateNew);
        }
        catch (IOException) when (File.Exists(keyFile))
        {
            CryptographicOperations.ZeroMemory(key);
            throw VaultErrors.VaultFileExists(keyFile);
        }

        return new SoftwareKeyProtector(keyFile, key, pendingFile: null, created: true);
    }

    /// <summary>Makes a root key to replace a vault's current one: <c>.key.new</c> until <see cref="Commit"/>.</summary>
    public static SoftwareKeyProtector CreateReplacement(VaultLocation vault)
    {
        var pending = PendingFileFor(vault);
        var key = NewKey();
        var current = KeyFileFor(vault);
        // A shared vault's key file is group-readable (about_Vault_RBAC): its replacement keeps that mode.
        UnixFileMode? mode = !OperatingSystem.IsWindows() && File.Exists(current) ? File.GetUnixFileMode(current) : null;
        WriteKeyFile(pending, key, FileMode.Create, mode);
        return new SoftwareKeyProtector(KeyFileFor(vault), key, pending, created: true);
    }

    public static SoftwareKeyProtector Open(KeyProtectorSettings settings, VaultLocation vault, string vaultName)
    {
        var keyFile = KeyFileFor(vault);
        var pending = PendingFileFor(vault);
        var key = TryRead(keyFile, vaultName);
        if (settings.KeyCheck is { } expected && (key is null || Check(key) != expected))
        {
            // A replacement whose rename a crash interrupted: the vault already committed to it.
            if (TryRead(pending, vaultName) is { } promoted && Check(promoted) == expected)
            {
                File.Move(pending, keyFile, overwrite: true);
                Zero(key);
                return new SoftwareKeyProtector(keyFile, promoted, pendingFile: null);
            }

            if (key is not null)
            {
                Zero(key);
                throw VaultErrors.RootKeyMismatch(vaultName, keyFile);
            }
        }

        return key is null
            ? throw VaultErrors.KeyProtectorUnavailable(vaultName, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.KeyFileNotFound, keyFile))
            : new SoftwareKeyProtector(keyFile, key, pendingFile: null);
    }

    public WrappedKey Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context)
    {
        var sealedKey = Aead.Seal(rootKey, key, context);
        var wrapped = new byte[1 + sealedKey.Length];
        wrapped[0] = WrapFormat;
        sealedKey.CopyTo(wrapped, 1);
        return new WrappedKey(wrapped, Mechanism);
    }

    public byte[] Unwrap(byte[] wrapped, string mechanism, ReadOnlySpan<byte> context)
    {
        if (mechanism != Mechanism || wrapped.Length == 0 || wrapped[0] != WrapFormat)
        {
            throw new CryptographicException($"A key wrapped with '{mechanism}' cannot be unwrapped by the software key protector.");
        }

        return Aead.Open(rootKey, wrapped.AsSpan(1), context);
    }

    public void Commit()
    {
        if (pendingFile is not null)
        {
            File.Move(pendingFile, Location, overwrite: true);
        }
    }

    public void Abort()
    {
        if (created)
        {
            File.Delete(pendingFile ?? Location);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(rootKey);

    private static string Check(byte[] key) => Convert.ToBase64String(HMACSHA256.HashData(key, CheckLabel).AsSpan(0, 16));

    private static byte[] NewKey()
    {
        var key = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
        RandomNumberGenerator.Fill(key);
        return key;
    }

    private static void WriteKeyFile(string path, byte[] key, FileMode mode, UnixFileMode? unixMode = null)
    {
        try
        {
            using var stream = OwnerOnlyFile.Create(path, mode);
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !(mode == FileMode.CreateNew && File.Exists(path) && !FileFailure.IsDiskFull(ex)))
        {
            // A read-only folder or a full disk, named as such (an existing key file is the caller's VaultFileExists).
            if (FileFailure.IsDiskFull(ex))
            {
                File.Delete(path); // the part of a key this made: nothing is left behind
            }

            throw FileFailure.Writing(path, ex);
        }

        if (unixMode is { } wanted && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, wanted & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        }
    }

    /// <summary>The key in a file, or null when there is no file; a file of the wrong size is refused.</summary>
    private static byte[]? TryRead(string keyFile, string vaultName)
    {
        CheckKeyFile(keyFile, vaultName);
        try
        {
            using var stream = new FileStream(keyFile, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length != Aead.KeySize)
            {
                throw VaultErrors.KeyProtectorUnavailable(vaultName, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.KeyFileInvalid, keyFile));
            }

            var key = GC.AllocateArray<byte>(Aead.KeySize, pinned: true);
            stream.ReadExactly(key);
            return key;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.KeyProtectorUnavailable(vaultName, ex.Message, ex);
        }
    }

    /// <summary>
    /// A key file is used only when nobody but its owner can write it and it is the file itself, not a
    /// link to one elsewhere: whoever can replace the root key can make a vault of their own pass for
    /// this one. Group-readable stays allowed (a shared vault's members read it: about_Vault_RBAC);
    /// readable by everyone is refused too, since then everyone holds the root key.
    /// </summary>
    private static void CheckKeyFile(string keyFile, string vaultName)
    {
        var info = new FileInfo(keyFile);
        if (!info.Exists && info.LinkTarget is null)
        {
            return;
        }

        if (info.LinkTarget is { } target)
        {
            throw VaultErrors.KeyFileInsecure(vaultName, keyFile, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.KeyFileIsLink, target, keyFile));
        }

        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode Unsafe = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var mode = info.UnixFileMode;
        if ((mode & Unsafe) != 0)
        {
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            throw VaultErrors.KeyFileInsecure(vaultName, keyFile, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.KeyFileWritable, octal, keyFile));
        }
    }

    private static void Zero(byte[]? key)
    {
        if (key is not null)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
