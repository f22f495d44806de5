using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vault.Core.Registry;

/// <summary>
/// A vault this user knows: the name they use, the file it lives in, and what they trust about it:
/// its identity as first seen (vault id and fingerprint) and the PKCS#11 library they named for it.
/// </summary>
internal sealed record RegisteredVault(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path)
{
    private VaultLocation? location;

    /// <summary>The vault id pinned at creation or registration; null in a registration made before step 6, until first opened.</summary>
    [JsonPropertyName("vaultId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? VaultId { get; init; }

    /// <summary>The identity fingerprint pinned when the keyring first opened for this user.</summary>
    [JsonPropertyName("fingerprint")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Fingerprint { get; init; }

    /// <summary>The PKCS#11 library this user trusts for the vault (its full path).</summary>
    [JsonPropertyName("pkcs11Library")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Pkcs11Library { get; init; }

    /// <summary>The vault's location, made once per read of the registry (every command opens a vault by it).</summary>
    [JsonIgnore]
    public VaultLocation Location => location ??= VaultLocation.File(Path);
}

internal sealed record RegistryData
{
    [JsonPropertyName("defaultVault")]
    public string? DefaultVault { get; init; }

    [JsonPropertyName("vaults")]
    public List<RegisteredVault> Vaults { get; init; } = [];

    public RegisteredVault? Find(string name) =>
        Vaults.Find(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    public RegisteredVault? FindByPath(string path) =>
        Vaults.Find(v => string.Equals(v.Path, path, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal));
}

[JsonSerializable(typeof(RegistryData))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class RegistryJson : JsonSerializerContext;

/// <summary>
/// The per-user list of vaults, <c>vaults.json</c> in the Vault home folder. Reads are cached until
/// the file changes; changes are made under a lock file and written atomically (write, then rename),
/// so parallel sessions never see half a file or lose each other's registrations.
/// </summary>
internal sealed class VaultRegistry
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly string file;
    private readonly string lockFile;
    private readonly object gate = new();
    private (DateTime Stamp, long Length, RegistryData Data)? cache;

    public VaultRegistry(string home)
    {
        Home = home;
        file = Path.Combine(home, "vaults.json");
        lockFile = file + ".lock";
    }

    public string Home { get; }

    public RegistryData Read()
    {
        var info = new FileInfo(file);
        if (!info.Exists)
        {
            return new RegistryData();
        }

        lock (gate)
        {
            if (cache is { } c && c.Stamp == info.LastWriteTimeUtc && c.Length == info.Length)
            {
                return c.Data;
            }

            var data = Load();
            cache = (info.LastWriteTimeUtc, info.Length, data);
            return data;
        }
    }

    /// <summary>Reads the newest registry under the lock, applies <paramref name="change"/>, and saves what it returns.</summary>
    public T Update<T>(Func<RegistryData, (RegistryData Data, T Result)> change)
    {
        FileStream held;
        try
        {
            // Owner-only: the registry says which files this user trusts as vaults (0700, and 0600 below).
            OwnerOnlyFile.CreateDirectory(Home);
            held = AcquireLock();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw HomeFailure(ex);
        }

        using (held)
        {
            var (data, result) = change(File.Exists(file) ? Load() : new RegistryData());
            try
            {
                OwnerOnlyFile.WriteAtomically(file, stream => stream.Write(JsonSerializer.SerializeToUtf8Bytes(data, RegistryJson.Default.RegistryData)));
            }
            catch (VaultException ex) when (ex.Kind is VaultErrorKind.ReadOnly or VaultErrorKind.StorageFull)
            {
                throw ex.Kind == VaultErrorKind.ReadOnly ? VaultErrors.VaultHomeReadOnly(Home, ex) : VaultErrors.VaultHomeDiskFull(Home, ex);
            }

            lock (gate)
            {
                cache = null;
            }

            return result;
        }
    }

    /// <summary>The Vault home that cannot be written, as the core's error (a read-only folder or file system, a full disk).</summary>
    private VaultException HomeFailure(Exception ex) =>
        FileFailure.IsDiskFull(ex) ? VaultErrors.VaultHomeDiskFull(Home, ex)
        : FileFailure.IsReadOnly(ex) ? VaultErrors.VaultHomeReadOnly(Home, ex)
        : VaultErrors.OutputWriteFailed(lockFile, ex.Message);

    private RegistryData Load()
    {
        // The file is replaced by rename, never rewritten in place, so a read sees a whole file.
        var bytes = File.ReadAllBytes(file);
        return JsonSerializer.Deserialize(bytes, RegistryJson.Default.RegistryData) ?? new RegistryData();
    }

    private FileStream AcquireLock()
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 1 };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                return new FileStream(lockFile, options);
            }
            catch (IOException ex) when (DateTime.UtcNow < deadline && !FileFailure.IsReadOnly(ex) && !FileFailure.IsDiskFull(ex) && !FileFailure.IsMissingFolder(ex))
            {
                // Another session holds the lock; a read-only or full home will not get better by waiting.
                Thread.Sleep(Random.Shared.Next(5, 25));
            }
        }
    }
}
