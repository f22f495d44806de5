using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Vault.Bench;

/// <summary>
/// <c>bench/Vault.CoreProbe</c>: a console program that times the core's GetSecret (with its audit
/// record) in a process of its own, through public API that the core before step 5 has too. The
/// harness builds its one source against any tree's <c>src/Vault.Core</c>: the two files are copied
/// to a temp folder (outside the repository, so no Directory.Build.props applies to either build) and
/// built Release with <c>-p:VaultCoreProject=</c> that tree's project.
/// </summary>
internal sealed class CoreProbe
{
    public const string Dll = "Vault.CoreProbe.dll";

    private const string Project = "Vault.CoreProbe.csproj";

    private static readonly string[] Sources = [Project, "Program.cs"];

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private CoreProbe(string folder)
    {
        Folder = folder;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\0", Sources.Select(s => s + "\0" + File.ReadAllText(Path.Combine(folder, s))))));
        SourceHash = Convert.ToHexStringLower(hash)[..12];
    }

    /// <summary>The probe's source folder in the repository.</summary>
    public string Folder { get; }

    /// <summary>The first 12 hex digits of a SHA-256 over the source files: a cached build is reused only for the same source.</summary>
    public string SourceHash { get; }

    public static CoreProbe InRepository() => new(Path.Combine(BenchRepo.Root, "bench", "Vault.CoreProbe"));

    /// <summary>Builds the probe against <paramref name="coreProject"/> and copies its output to <paramref name="destination"/>.</summary>
    public TimeSpan Build(string coreProject, string destination, string what)
    {
        using var build = new TempHome("probe-build");
        foreach (var source in Sources)
        {
            File.Copy(Path.Combine(Folder, source), Path.Combine(build.Path, source));
        }

        var took = BuildTool.DotnetBuild(build.Path, Path.Combine(build.Path, Project), BuildTimeout, $"the core probe against {what}", "-p:VaultCoreProject=" + coreProject);
        var output = Path.Combine(build.Path, "bin", "Release", "net10.0");
        if (!File.Exists(Path.Combine(output, Dll)))
        {
            throw new InvalidOperationException($"The probe's build against {what} made no {output}/{Dll}.");
        }

        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        BuildTool.CopyFolder(output, destination);
        File.WriteAllText(
            Path.Combine(destination, "complete.txt"),
            string.Create(CultureInfo.InvariantCulture, $"probe {SourceHash} against {coreProject} built Release {DateTime.UtcNow:u} in {took.TotalSeconds:0} s\n"));
        return took;
    }

    /// <summary>Runs the probe once on a fresh home: GetSecret <paramref name="warmup"/> times untimed, then <paramref name="count"/> timed calls.</summary>
    public static Run Measure(string dll, int warmup, int count)
    {
        using var home = new TempHome("probe");
        var (stdout, wallMs) = PwshProcess.Dotnet(
            dll,
            [home.Path, warmup.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)],
            home.Path);
        var core = PwshProcess.Line(stdout, "PROBE-CORE");
        var result = PwshProcess.Line(stdout, "PROBE-RESULT");
        var ticks = PwshProcess.Line(stdout, "PROBE-TICKS");
        var frequency = double.Parse(ticks[0], CultureInfo.InvariantCulture);
        var samples = new Samples(ticks[1].Split(',').Select(t => long.Parse(t, CultureInfo.InvariantCulture) * 1000.0 / frequency));
        if (samples.Count != count)
        {
            throw new InvalidOperationException($"The probe timed {samples.Count} calls, not {count}.");
        }

        return new Run(
            samples,
            double.Parse(result[2], CultureInfo.InvariantCulture),
            long.Parse(PwshProcess.Line(stdout, "PROBE-HWM")[0], CultureInfo.InvariantCulture),
            bool.Parse(core[0]),
            string.Join(' ', core[1..]),
            wallMs / 1000.0);
    }

    /// <summary>
    /// One probe process: its timed GetSecret calls (ms), calls/s over the timed loop, peak resident
    /// set, whether its Vault.Core has <c>VaultEngine</c> (step 5's), where that Vault.Core was loaded from.
    /// </summary>
    public sealed record Run(Samples Samples, double PerSecond, long PeakResident, bool HasEngine, string CoreLocation, double WallSeconds);
}
