using System.Diagnostics;
using System.Globalization;

namespace Vault.Bench;

/// <summary>
/// The module as it was at the end of step 1 (commit 41f8d51, before the HSM root of trust and
/// role-based access control), built Release from a detached git worktree under the temp folder,
/// for the RBAC figures to be compared with in the same run. The build is cached in the temp folder
/// by commit id (<c>vault-bench-cache/step1-&lt;commit&gt;/Vault</c>), so only the first run on a
/// machine builds it; <c>VAULT_BENCH_REBUILD_STEP1=1</c> builds it again.
/// </summary>
internal sealed record Step1Module(string Manifest, string How)
{
    /// <summary>"The software key file is always &lt;vault file&gt;.key: drop the unused setting", the last commit of step 1.</summary>
    public const string Commit = "41f8d51429154d42bf6730af82bdbcc71f88afc9";

    public const string Subject = "The software key file is always <vault file>.key";

    public const string RebuildVariable = "VAULT_BENCH_REBUILD_STEP1";

    private const string CompleteMarker = "complete.txt";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    public static string ShortCommit => Commit[..7];

    public static string CacheFolder => Path.Combine(Path.GetTempPath(), "vault-bench-cache", "step1-" + Commit);

    public static string WorktreeFolder => Path.Combine(Path.GetTempPath(), "vault-step1");

    /// <summary>Why the step-1 module cannot be had here (no git, not a checkout, the commit missing), or null.</summary>
    public static string? Missing()
    {
        try
        {
            var (code, output) = Run("git", BenchRepo.Root, TimeSpan.FromSeconds(30), "log", "-1", "--format=%s", Commit);
            if (code != 0)
            {
                return $"commit {ShortCommit} is not in the repository at {BenchRepo.Root} (git: {output.Trim()})";
            }

            return output.StartsWith(Subject, StringComparison.Ordinal) ? null : $"commit {ShortCommit} is '{output.Trim()}', not step 1's last commit";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"git could not be started ({ex.Message})";
        }
    }

    /// <summary>The cached build, or a fresh one: worktree, Release build, copy to the cache, worktree removed.</summary>
    public static Step1Module Get()
    {
        var cached = Path.Combine(CacheFolder, "Vault", "Vault.psd1");
        var rebuild = Environment.GetEnvironmentVariable(RebuildVariable) == "1";
        if (!rebuild && File.Exists(Path.Combine(CacheFolder, CompleteMarker)) && File.Exists(cached))
        {
            return new Step1Module(cached, $"cached build reused ({CacheFolder})");
        }

        var worktree = WorktreeFolder;
        RemoveWorktree(worktree);
        var total = Stopwatch.StartNew();
        try
        {
            Git(TimeSpan.FromMinutes(2), "worktree", "add", "--detach", worktree, Commit);

            // -nodeReuse:false: no MSBuild node outlives the build and runs beside the figures.
            var build = Stopwatch.StartNew();
            var (code, output) = Run("dotnet", worktree, BuildTimeout, "build", "-c", "Release", Path.Combine(worktree, "Vault.sln"), "-nodeReuse:false", "-v:q", "-nologo");
            build.Stop();
            if (code != 0)
            {
                throw new InvalidOperationException($"dotnet build -c Release of {ShortCommit} failed ({code}): {Tail(output)}");
            }

            var built = Path.Combine(worktree, "out", "Vault");
            if (!File.Exists(Path.Combine(built, "Vault.psd1")))
            {
                throw new InvalidOperationException($"The build of {ShortCommit} made no {built}/Vault.psd1.");
            }

            if (Directory.Exists(CacheFolder))
            {
                Directory.Delete(CacheFolder, recursive: true);
            }

            CopyFolder(built, Path.Combine(CacheFolder, "Vault"));
            File.WriteAllText(
                Path.Combine(CacheFolder, CompleteMarker),
                string.Create(CultureInfo.InvariantCulture, $"{Commit} built Release {DateTime.UtcNow:u} in {build.Elapsed.TotalSeconds:0} s\n"));
            return new Step1Module(
                cached,
                string.Create(CultureInfo.InvariantCulture, $"built now: worktree + dotnet build -c Release {build.Elapsed.TotalSeconds:0} s (all {total.Elapsed.TotalSeconds:0} s), cached in {CacheFolder}"));
        }
        finally
        {
            RemoveWorktree(worktree);
        }
    }

    /// <summary><c>git worktree remove --force</c>, and the folder itself if git no longer knows it.</summary>
    private static void RemoveWorktree(string worktree)
    {
        var (_, list) = Run("git", BenchRepo.Root, TimeSpan.FromSeconds(30), "worktree", "list", "--porcelain");
        var registered = list.Split('\n').Any(l => l.Trim() == "worktree " + worktree);
        if (registered)
        {
            Git(TimeSpan.FromMinutes(2), "worktree", "remove", "--force", worktree);
        }

        if (Directory.Exists(worktree))
        {
            Directory.Delete(worktree, recursive: true);
        }
    }

    private static void Git(TimeSpan timeout, params string[] args)
    {
        var (code, output) = Run("git", BenchRepo.Root, timeout, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({code}): {Tail(output)}");
        }
    }

    /// <summary>Runs a tool; returns its exit code and its stdout and stderr together.</summary>
    private static (int Code, string Output) Run(string file, string directory, TimeSpan timeout, params string[] args)
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

        // `dotnet run` hands its own MSBuild settings to the harness; the old build must find its own.
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

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(30));
}
