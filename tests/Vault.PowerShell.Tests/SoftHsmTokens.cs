using System.Diagnostics;

namespace Vault.PowerShell.Tests;

/// <summary>
/// SoftHSM2 for this test process: a private token directory and a pool of tokens made up front.
/// SoftHSM2 reads $env:SOFTHSM2_CONF and scans its tokens once, when the module first loads the
/// library in this process, so every token the in-process tests use must exist before then.
/// Separate pwsh processes get the same configuration through their environment.
/// </summary>
public static class SoftHsmTokens
{
    public const string Library = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Pin = "user-pin-5678";
    public const string SoPin = "so-pin-1234";
    private const int PoolSize = 24;
    private static readonly object Gate = new();
    private static string? conf;
    private static int next;

    /// <summary>The configuration file; setting it up makes the token pool.</summary>
    public static string Conf
    {
        get
        {
            lock (Gate)
            {
                return conf ??= Create();
            }
        }
    }

    /// <summary>A token no other test has used.</summary>
    public static string NextToken()
    {
        _ = Conf;
        var n = Interlocked.Increment(ref next);
        Assert.True(n <= PoolSize, "The SoftHSM2 token pool is used up: raise PoolSize.");
        return $"pstok-{n:D2}";
    }

    public static IReadOnlyDictionary<string, string> Environment(bool withPin) => withPin
        ? new Dictionary<string, string> { ["SOFTHSM2_CONF"] = Conf, ["VAULT_PKCS11_PIN"] = Pin }
        : new Dictionary<string, string> { ["SOFTHSM2_CONF"] = Conf, ["VAULT_PKCS11_PIN"] = string.Empty };

    private static string Create()
    {
        Assert.True(File.Exists(Library), $"SoftHSM2 is not installed at {Library}: apt-get install softhsm2 (.ci/run does).");
        var directory = Path.Combine(Path.GetTempPath(), "vault-pstests-softhsm", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(directory, "tokens"));
        var file = Path.Combine(directory, "softhsm2.conf");
        File.WriteAllText(file, $"directories.tokendir = {Path.Combine(directory, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        for (var i = 1; i <= PoolSize; i++)
        {
            var info = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--init-token", "--free", "--label", $"pstok-{i:D2}", "--so-pin", SoPin, "--pin", Pin })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["SOFTHSM2_CONF"] = file;
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, "softhsm2-util failed: " + error);
        }

        // The module copies this into the native environment before it loads the library.
        System.Environment.SetEnvironmentVariable("SOFTHSM2_CONF", file);
        return file;
    }
}
