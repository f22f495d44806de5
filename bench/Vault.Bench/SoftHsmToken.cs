using System.Diagnostics;

namespace Vault.Bench;

/// <summary>
/// A SoftHSM2 token of the bench's own: a configuration and token folder under the bench's temp
/// folder, named by <c>SOFTHSM2_CONF</c>, and one token initialized with softhsm2-util. SoftHSM2
/// reads <c>SOFTHSM2_CONF</c> once, at C_Initialize, so this must run before anything in the
/// process loads the library; Vault copies the managed environment into the native one when it
/// loads it. Deleting the folder deletes the token and every key in it.
/// </summary>
internal sealed class SoftHsmToken : IDisposable
{
    public const string Library = "/usr/lib/softhsm/libsofthsm2.so";
    public const string ConfVariable = "SOFTHSM2_CONF";
    public const string PinVariable = "VAULT_PKCS11_PIN";
    public const string Label = "vault-bench";
    public const string UserPin = "bench-pin-5678";
    private const string SoPin = "bench-so-1234";

    private readonly TempHome folder;

    private SoftHsmToken()
    {
        folder = new TempHome("softhsm");
        var tokens = System.IO.Path.Combine(folder.Path, "tokens");
        ConfPath = System.IO.Path.Combine(folder.Path, "softhsm2.conf");
        try
        {
            Directory.CreateDirectory(tokens);
            File.WriteAllText(ConfPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
            Environment.SetEnvironmentVariable(ConfVariable, ConfPath);
            InitToken();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ConfPath { get; }

    /// <summary>Why the HSM rows cannot run here, or null when SoftHSM2 and softhsm2-util are installed.</summary>
    public static string? Missing() =>
        !File.Exists(Library) ? $"SoftHSM2 is not installed at {Library} (apt-get install softhsm2)"
        : FindOnPath("softhsm2-util") is null ? "softhsm2-util is not on PATH (apt-get install softhsm2)"
        : null;

    public static SoftHsmToken Create() => new();

    public void Dispose()
    {
        // The library stays loaded (Vault never calls C_Finalize); nothing reads the folder again.
        Environment.SetEnvironmentVariable(ConfVariable, null);
        folder.Dispose();
    }

    private void InitToken()
    {
        var info = new ProcessStartInfo("softhsm2-util")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--init-token", "--free", "--label", Label, "--so-pin", SoPin, "--pin", UserPin })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[ConfVariable] = ConfPath;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("softhsm2-util --init-token did not finish in 30 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"softhsm2-util --init-token exited {process.ExitCode}: {stdout.Result} {stderr.Result}");
        }
    }

    private static string? FindOnPath(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator)
            .Where(d => d.Length > 0)
            .Select(d => System.IO.Path.Combine(d, file))
            .FirstOrDefault(File.Exists);
}
