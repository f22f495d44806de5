namespace Vault.Core.Tests;

/// <summary>
/// Vault files made by earlier versions of the module, kept in Fixtures/ to prove that a vault users
/// already have still opens. <c>fixture-kv.vault</c> was made by main at the end of step 5 (commit
/// 1beb025, schema 5) with the program in Fixtures/MakeFixture.cs.txt: secrets db (3 versions, the
/// third under keyring term 2, tagged), api (disabled) and gone (deleted), a custom role "Fixture
/// Reader" assigned to uid:5151 at /secrets/db, and its creator uid:4242 (fixture-admin) as
/// Administrator.
/// </summary>
internal static class Fixtures
{
    public const string Step5Administrator = "uid:4242";

    /// <summary>A copy of the step-5 fixture vault (and its key file, owner-only) in <paramref name="folder"/>; returns the vault file's path.</summary>
    public static string Step5Vault(string folder)
    {
        var source = Path.Combine(RepoRoot(), "tests", "Vault.Core.Tests", "Fixtures");
        var path = Path.Combine(folder, "fixture-kv.vault");
        File.Copy(Path.Combine(source, "fixture-kv.vault"), path);
        File.Copy(Path.Combine(source, "fixture-kv.vault.key"), path + ".key");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(path + ".key", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vault.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Vault.sln not found above " + AppContext.BaseDirectory);
    }
}
