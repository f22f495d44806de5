using System.Diagnostics;
using System.Globalization;

namespace Vault.Bench;

/// <summary>
/// An older commit of this repository, built Release from a detached git worktree under the temp
/// folder, for a phase to compare the current build with in the same run: the module
/// (<c>out/Vault</c> of <c>dotnet build -c Release Vault.sln</c>) and, when asked, the
/// <see cref="CoreProbe"/> built against that commit's <c>src/Vault.Core</c>. Both are cached in the
/// temp folder by commit id (<c>vault-bench-cache/&lt;label&gt;-&lt;commit&gt;/Vault</c>, and
/// <c>probe-&lt;source hash&gt;</c> beside it), so only the first run on a machine builds them;
/// <c>VAULT_BENCH_REBUILD_&lt;LABEL&gt;=1</c> builds them again. The worktree
/// (<c>vault-&lt;label&gt;</c> in the temp folder) is removed after the build.
/// </summary>
internal sealed class CommitBuild(string label, string commit, string subject)
{
    private const string CompleteMarker = "complete.txt";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    /// <summary>What the phase calls this commit: it names the cache folder, the worktree and the rebuild variable.</summary>
    public string Label { get; } = label;

    /// <summary>The full commit id.</summary>
    public string Commit { get; } = commit;

    /// <summary>The start of the commit's subject: the check that the id names the commit the phase means.</summary>
    public string Subject { get; } = subject;

    public string ShortCommit => Commit[..7];

    public string RebuildVariable => "VAULT_BENCH_REBUILD_" + Label.ToUpperInvariant();

    public string CacheFolder => Path.Combine(Path.GetTempPath(), "vault-bench-cache", Label + "-" + Commit);

    public string WorktreeFolder => Path.Combine(Path.GetTempPath(), "vault-" + Label);

    /// <summary>Why the commit cannot be had here (no git, not a checkout, the commit missing or another one), or null.</summary>
    public string? Missing()
    {
        try
        {
            var (code, output) = BuildTool.Run("git", BenchRepo.Root, TimeSpan.FromSeconds(30), "log", "-1", "--format=%s", Commit);
            if (code != 0)
            {
                return $"commit {ShortCommit} is not in the repository at {BenchRepo.Root} (git: {output.Trim()})";
            }

            return output.StartsWith(Subject, StringComparison.Ordinal) ? null : $"commit {ShortCommit} is '{output.Trim()}', not the {Label} commit";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"git could not be started ({ex.Message})";
        }
    }

    /// <summary>
    /// The cached builds, or fresh ones: the module always, the probe when <paramref name="probe"/> is
    /// given. Whatever is missing from the cache is built in one worktree, then the worktree is removed.
    /// </summary>
    public Built Get(CoreProbe? probe = null)
    {
        var manifest = Path.Combine(CacheFolder, "Vault", "Vault.psd1");
        var probeFolder = probe is null ? null : Path.Combine(CacheFolder, "probe-" + probe.SourceHash);
        var rebuild = Environment.GetEnvironmentVariable(RebuildVariable) == "1";
        var moduleCached = !rebuild && File.Exists(Path.Combine(CacheFolder, CompleteMarker)) && File.Exists(manifest);
        var probeCached = probeFolder is null || (!rebuild && File.Exists(Path.Combine(probeFolder, CompleteMarker)));
        string? ProbeDll() => probeFolder is null ? null : Path.Combine(probeFolder, CoreProbe.Dll);
        if (moduleCached && probeCached)
        {
            return new Built(manifest, ProbeDll(), $"cached build reused ({CacheFolder})");
        }

        var worktree = WorktreeFolder;
        RemoveWorktree(worktree);
        var total = Stopwatch.StartNew();
        var how = new List<string>();
        try
        {
            Git(TimeSpan.FromMinutes(2), "worktree", "add", "--detach", worktree, Commit);
            if (moduleCached)
            {
                how.Add("module cached");
            }
            else
            {
                var took = BuildTool.DotnetBuild(worktree, Path.Combine(worktree, "Vault.sln"), BuildTimeout, ShortCommit);
                var built = Path.Combine(worktree, "out", "Vault");
                if (!File.Exists(Path.Combine(built, "Vault.psd1")))
                {
                    throw new InvalidOperationException($"The build of {ShortCommit} made no {built}/Vault.psd1.");
                }

                // Only the module and its marker: a probe cached beside them stays.
                var cachedModule = Path.Combine(CacheFolder, "Vault");
                if (Directory.Exists(cachedModule))
                {
                    Directory.Delete(cachedModule, recursive: true);
                }

                Directory.CreateDirectory(CacheFolder);
                File.Delete(Path.Combine(CacheFolder, CompleteMarker));
                BuildTool.CopyFolder(built, cachedModule);
                File.WriteAllText(
                    Path.Combine(CacheFolder, CompleteMarker),
                    string.Create(CultureInfo.InvariantCulture, $"{Commit} built Release {DateTime.UtcNow:u} in {took.TotalSeconds:0} s\n"));
                how.Add(string.Create(CultureInfo.InvariantCulture, $"dotnet build -c Release {took.TotalSeconds:0} s"));
            }

            if (probe is not null && !probeCached)
            {
                var took = probe.Build(Path.Combine(worktree, "src", "Vault.Core", "Vault.Core.csproj"), probeFolder!, ShortCommit);
                how.Add(string.Create(CultureInfo.InvariantCulture, $"probe against its Vault.Core {took.TotalSeconds:0} s"));
            }

            return new Built(
                manifest,
                ProbeDll(),
                string.Create(CultureInfo.InvariantCulture, $"built now: worktree + {string.Join(" + ", how)} (all {total.Elapsed.TotalSeconds:0} s), cached in {CacheFolder}"));
        }
        finally
        {
            RemoveWorktree(worktree);
        }
    }

    /// <summary><c>git worktree remove --force</c>, and the folder itself if git no longer knows it.</summary>
    private static void RemoveWorktree(string worktree)
    {
        var (_, list) = BuildTool.Run("git", BenchRepo.Root, TimeSpan.FromSeconds(30), "worktree", "list", "--porcelain");
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
        var (code, output) = BuildTool.Run("git", BenchRepo.Root, timeout, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({code}): {BuildTool.Tail(output)}");
        }
    }

    /// <summary>The built module's manifest, the probe's dll (when asked for), and how they were had.</summary>
    public sealed record Built(string Manifest, string? Probe, string How);
}
