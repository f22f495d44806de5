using System.Diagnostics;

namespace Vault.Bench;

/// <summary>
/// Runs the real pwsh (the PowerShell tool pinned in .config/dotnet-tools.json, knowing nothing of Vault) in a
/// process of its own, so the module loads from out/Vault into its own load context, as for a user.
/// </summary>
internal static class PwshProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Runs <c>pwsh -NoProfile -NonInteractive -Command script</c>; returns stdout and the wall time.
    /// <paramref name="withoutVariables"/> are removed from the environment the child inherits.
    /// </summary>
    public static (string Stdout, double WallMs) Command(string home, string script, params string[] withoutVariables) =>
        Dotnet(BenchRepo.PwshHost, ["-NoProfile", "-NonInteractive", "-Command", script], home, withoutVariables);

    /// <summary>
    /// Runs <c>dotnet dll args</c> the same way (the step-5 phase's core probe is started so too):
    /// VAULT_HOME set to <paramref name="home"/>, no inherited PSModulePath, and
    /// <paramref name="withoutVariables"/> removed. Returns stdout and the wall time; throws with
    /// the end of stdout if it fails.
    /// </summary>
    public static (string Stdout, double WallMs) Dotnet(string dll, IReadOnlyList<string> args, string home, params string[] withoutVariables)
    {
        var name = Path.GetFileNameWithoutExtension(dll);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BenchRepo.Root,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["VAULT_HOME"] = home;
        // The hosted runspace in this process set PSModulePath; the child must find its own.
        info.Environment.Remove("PSModulePath");
        info.Environment["NO_COLOR"] = "1";
        foreach (var variable in withoutVariables)
        {
            info.Environment.Remove(variable);
        }

        var wall = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} did not finish in {Timeout}.");
        }

        wall.Stop();
        if (process.ExitCode != 0)
        {
            // Loops print long lines of timestamps: the end of stdout is what explains a failure.
            var tail = stdout.Result.Length > 2_000 ? "..." + stdout.Result[^2_000..] : stdout.Result;
            throw new InvalidOperationException($"{name} exited {process.ExitCode}: {tail} {stderr.Result}");
        }

        return (stdout.Result, wall.Elapsed.TotalMilliseconds);
    }

    /// <summary>The fields of the first stdout line that starts with <paramref name="tag"/>.</summary>
    public static string[] Line(string stdout, string tag) =>
        stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(tag + " ", StringComparison.Ordinal))?.Split(' ')[1..]
        ?? throw new InvalidOperationException($"The process printed no '{tag}' line: {stdout}");
}
