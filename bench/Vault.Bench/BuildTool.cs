using System.Diagnostics;

namespace Vault.Bench;

/// <summary>Running git and dotnet for the builds the bench makes itself (<see cref="CommitBuild"/>, <see cref="CoreProbe"/>).</summary>
internal static class BuildTool
{
    /// <summary>Runs a tool; returns its exit code and its stdout and stderr together.</summary>
    public static (int Code, string Output) Run(string file, string directory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // `dotnet run` hands its own MSBuild settings to the harness; the build must find its own.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary><c>dotnet build -c Release</c> of a solution or project; throws with the output's end when it fails.</summary>
    public static TimeSpan DotnetBuild(string directory, string target, TimeSpan timeout, string what, params string[] extra)
    {
        // -nodeReuse:false: no MSBuild node outlives the build and runs beside the figures.
        var build = Stopwatch.StartNew();
        var (code, output) = Run("dotnet", directory, timeout, ["build", "-c", "Release", target, "-nodeReuse:false", "-v:q", "-nologo", .. extra]);
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet build -c Release of {what} failed ({code}): {Tail(output)}");
        }

        return build.Elapsed;
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(30));
}
