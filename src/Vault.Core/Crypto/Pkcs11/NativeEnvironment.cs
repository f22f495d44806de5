using System.Collections;
using System.Runtime.InteropServices;

namespace Vault.Core.Crypto.Pkcs11;

/// <summary>
/// On Unix, .NET keeps environment changes (PowerShell's <c>$env:X = ...</c>) in a managed copy that
/// native code never sees, yet PKCS#11 libraries read their configuration with getenv
/// (SOFTHSM2_CONF, YUBIHSM_PKCS11_CONF, ChrystokiConfigurationPath...). Before a library is loaded,
/// the managed environment is copied into the native one.
/// </summary>
internal static unsafe class NativeEnvironment
{
    private static readonly object Gate = new();

    public static void Export()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // .NET changes the process environment itself on Windows.
        }

        var libc = OperatingSystem.IsMacOS() ? "/usr/lib/libSystem.B.dylib" : "libc.so.6";
        if (!NativeLibrary.TryLoad(libc, out var handle)
            || !NativeLibrary.TryGetExport(handle, "setenv", out var setenvAddress)
            || !NativeLibrary.TryGetExport(handle, "getenv", out var getenvAddress))
        {
            return;
        }

        var setenv = (delegate* unmanaged<byte*, byte*, int, int>)setenvAddress;
        var getenv = (delegate* unmanaged<byte*, byte*>)getenvAddress;
        lock (Gate)
        {
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                // The PIN never goes where native code could read it: Vault passes it to C_Login itself.
                if (entry.Key is not string name || entry.Value is not string value || name.Length == 0 || name.Contains('=')
                    || name == KeyProtectors.PinVariable)
                {
                    continue;
                }

                var nameBytes = Utf8Z(name);
                var valueBytes = Utf8Z(value);
                fixed (byte* n = nameBytes)
                fixed (byte* v = valueBytes)
                {
                    var current = getenv(n);
                    if (current is null || Marshal.PtrToStringUTF8((IntPtr)current) != value)
                    {
                        setenv(n, v, 1);
                    }
                }
            }
        }
    }

    private static byte[] Utf8Z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
