using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Vault.PowerShell.Loading;

/// <summary>
/// The module's own load context. Vault.Core and its dependencies (Microsoft.Data.Sqlite,
/// SQLitePCLRaw, Pkcs11Interop; later MSAL) load here from <c>bin/private</c>, so Vault imports
/// beside modules that ship other versions of them (Az.Accounts ships MSAL) without a clash.
/// Anything not in <c>bin/private</c> (the framework, Vault.Model) comes from the default context.
/// </summary>
internal sealed class VaultLoadContext : AssemblyLoadContext
{
    private readonly ConcurrentDictionary<string, string?> paths = new(StringComparer.OrdinalIgnoreCase);

    public VaultLoadContext(string privateDirectory)
        : base("Vault", isCollectible: false)
    {
        PrivateDirectory = privateDirectory;
    }

    public string PrivateDirectory { get; }

    /// <summary>The runtime identifier whose native libraries the module ships, or null on other platforms.</summary>
    public static string? NativeRid => (OperatingSystem.IsLinux(), OperatingSystem.IsWindows(), OperatingSystem.IsMacOS(), RuntimeInformation.ProcessArchitecture) switch
    {
        (true, _, _, Architecture.X64) => "linux-x64",
        (_, true, _, Architecture.X64) => "win-x64",
        (_, _, true, Architecture.X64) => "osx-x64",
        (_, _, true, Architecture.Arm64) => "osx-arm64",
        _ => null,
    };

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = paths.GetOrAdd(assemblyName.Name ?? string.Empty, name =>
        {
            var candidate = Path.Combine(PrivateDirectory, name + ".dll");
            return File.Exists(candidate) ? candidate : null;
        });
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    /// <summary>
    /// PowerShell does not look in a module's <c>runtimes/&lt;rid&gt;/native</c>, so the native SQLite
    /// library is resolved here, by the platform's file name for it.
    /// </summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (NativeRid is not { } rid || Path.IsPathRooted(unmanagedDllName))
        {
            return IntPtr.Zero;
        }

        var directory = Path.Combine(PrivateDirectory, "runtimes", rid, "native");
        foreach (var file in NativeFileNames(unmanagedDllName))
        {
            var candidate = Path.Combine(directory, file);
            if (File.Exists(candidate))
            {
                return LoadUnmanagedDllFromPath(candidate);
            }
        }

        return IntPtr.Zero;
    }

    private static IEnumerable<string> NativeFileNames(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows())
        {
            yield return name + ".dll";
        }
        else
        {
            var extension = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
            yield return name + extension;
            yield return "lib" + name + extension;
        }
    }
}
