namespace Vault.Bench;

/// <summary>
/// The module as it was at the end of step 1 (commit 41f8d51, before the HSM root of trust and
/// role-based access control), built Release from a detached git worktree under the temp folder,
/// for the RBAC figures to be compared with in the same run (<see cref="CommitBuild"/>). The build is
/// cached in the temp folder by commit id (<c>vault-bench-cache/step1-&lt;commit&gt;/Vault</c>), so
/// only the first run on a machine builds it; <c>VAULT_BENCH_REBUILD_STEP1=1</c> builds it again.
/// </summary>
internal sealed record Step1Module(string Manifest, string How)
{
    /// <summary>"The software key file is always &lt;vault file&gt;.key: drop the unused setting", the last commit of step 1.</summary>
    public const string Commit = "41f8d51429154d42bf6730af82bdbcc71f88afc9";

    public const string Subject = "The software key file is always <vault file>.key";

    private static readonly CommitBuild Build = new("step1", Commit, Subject);

    public static string ShortCommit => Build.ShortCommit;

    /// <summary>Why the step-1 module cannot be had here (no git, not a checkout, the commit missing), or null.</summary>
    public static string? Missing() => Build.Missing();

    /// <summary>The cached build, or a fresh one: worktree, Release build, copy to the cache, worktree removed.</summary>
    public static Step1Module Get()
    {
        var built = Build.Get();
        return new Step1Module(built.Manifest, built.How);
    }
}
