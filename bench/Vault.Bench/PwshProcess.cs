using System.Diagnostics;

namespace Vault.Bench;

/// <summary>
/// Runs the tests/pwsh stand-in (PowerShell 7.6.9's console host, knowing nothing of Vault) in a
/// process of its own, so the module loads from out/Vault into its own load context, as for a user.
/// </summary>
internal static class PwshProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Runs <c>pwsh -NoProfile -NonInteractive -Command script</c>; returns stdout and the wall time.
    /// <paramref name="withoutVariables"/> are removed from the environment the child inherits.
    /// </summary>
    public static (string Stdout, double WallMs) Command(string home, string script, params string[] withoutVariables)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BenchRepo.Root,
        };
        info.ArgumentList.Add(BenchRepo.PwshHost);
        info.ArgumentList.Add("-NoProfile");
        info.ArgumentList.Add("-NonInteractive");
        info.ArgumentList.Add("-Command");
        info.ArgumentList.Add(script);
        info.Environment["VAULT_HOME"] = home;
        // The hosted runspace in this process set PSModulePath; the child must find its own.
        info.Environment.Remove("PSModulePath");
        info.Environment["NO_COLOR"] = "1";
        foreach (var name in withoutVariables)
        {
            info.Environment.Remove(name);
        }

        var wall = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh did not finish in {Timeout}.");
        }

        wall.Stop();
        if (process.ExitCode != 0)
        {
            // Loops print long lines of timestamps: the end of stdout is what explains a failure.
            var tail = stdout.Result.Length > 2_000 ? "..." + stdout.Result[^2_000..] : stdout.Result;
            throw new InvalidOperationException($"pwsh exited {process.ExitCode}: {tail} {stderr.Result}");
        }

        return (stdout.Result, wall.Elapsed.TotalMilliseconds);
    }

    /// <summary>The fields of the first stdout line that starts with <paramref name="tag"/>.</summary>
    public static string[] Line(string stdout, string tag) =>
        stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(tag + " ", StringComparison.Ordinal))?.Split(' ')[1..]
        ?? throw new InvalidOperationException($"pwsh printed no '{tag}' line: {stdout}");
}
