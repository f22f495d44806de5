using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

// Tests share the process environment ($env:VAULT_HOME), so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vault.PowerShell.Tests;

/// <summary>Where the repository and the built module are.</summary>
public static class Repo
{
    private static string Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string Root { get; } = Path.GetFullPath(Metadata("VaultRoot"));

    public static string Configuration { get; } = Metadata("Configuration");

    public static string Version { get; } = Metadata("VaultVersion");

    /// <summary>The module this configuration's build laid out: out/Vault for Release, out/&lt;Configuration&gt;/Vault otherwise.</summary>
    public static string ModuleDir { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Metadata("VaultModuleDir")));

    public static string Manifest { get; } = Path.Combine(ModuleDir, "Vault.psd1");

    public static string Pester { get; } = Path.Combine(Metadata("NuGetPackageRoot"), "pester", "5.7.1", "tools", "Pester.psd1");

    /// <summary>The real pwsh (the PowerShell tool's pwsh.dll, started as `dotnet pwsh.dll`: the process itself, no launcher).</summary>
    public static string PwshHost { get; } = Metadata("VaultPwshHost");

    /// <summary>The PowerShell tool's version, pinned in .config/dotnet-tools.json.</summary>
    public static string PwshVersion { get; } = Metadata("VaultPwshVersion");
}

/// <summary>The result of one command line: every stream, and the host's text.</summary>
public sealed record ShellResult(
    Collection<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<WarningRecord> Warnings,
    IReadOnlyList<VerboseRecord> Verbose,
    string HostText,
    RuntimeException? Terminating)
{
    public PSObject Single() => Assert.Single(Output);

    public ShellResult Succeeded()
    {
        Assert.Null(Terminating);
        Assert.True(Errors.Count == 0, "Unexpected errors: " + string.Join(" | ", Errors.Select(e => e.FullyQualifiedErrorId + ": " + e)));
        return this;
    }

    /// <summary>Everything a user could have seen: output, errors, warnings, verbose, host text.</summary>
    public string AllText() => string.Join("\n",
        Output.Select(o => o?.ToString() ?? string.Empty)
            .Concat(Errors.Select(e => e.ToString() + " " + e.Exception))
            .Concat(Warnings.Select(w => w.Message))
            .Concat(Verbose.Select(v => v.Message))
            .Append(HostText)
            .Append(Terminating?.ToString() ?? string.Empty));
}

/// <summary>
/// A PowerShell 7.6 runspace with a <see cref="TestHost"/>, a fresh <c>$env:VAULT_HOME</c> and the
/// module imported from the build's layout (<see cref="Repo.Manifest"/>), exactly as a user would.
/// </summary>
public sealed class VaultShell : IDisposable
{
    private readonly Runspace runspace;

    public VaultShell(bool import = true)
    {
        Home = Path.Combine(Path.GetTempPath(), "vault-pstests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Home);
        Environment.SetEnvironmentVariable("VAULT_HOME", Home);
        runspace = RunspaceFactory.CreateRunspace(Host, InitialSessionState.CreateDefault2());
        runspace.Open();
        if (import)
        {
            Run($"Import-Module '{Repo.Manifest}'").Succeeded();
        }
    }

    public string Home { get; }

    public TestHost Host { get; } = new();

    /// <summary>
    /// Runs a command line (or a script) as a user types it: like a console, the line goes into the
    /// session's history, so it has a history id of its own (and so its own audit correlation id).
    /// </summary>
    public ShellResult Run(string script)
    {
        Host.ClearText();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        Collection<PSObject> output = [];
        RuntimeException? terminating = null;
        try
        {
            output = ps.Invoke(null, new PSInvocationSettings { AddToHistory = true });
        }
        catch (RuntimeException ex)
        {
            terminating = ex;
        }

        return new ShellResult(output, ps.Streams.Error.ToList(), ps.Streams.Warning.ToList(), ps.Streams.Verbose.ToList(), Host.Text, terminating);
    }

    /// <summary>Runs a command that must fail with one error, and returns it: terminating or not, as <paramref name="terminating"/> says.</summary>
    public ErrorRecord Fails(string script, string errorId, bool terminating)
    {
        // A terminating error stops the statement and is caught; a non-terminating one is written.
        var result = Run($"try {{ {script} }} catch {{ 'TERMINATING'; $_ }}");
        ErrorRecord record;
        if (terminating)
        {
            Assert.True(result.Output.Count >= 2 && "TERMINATING".Equals(result.Output[^2]?.BaseObject), $"Expected a terminating error {errorId}; got output [{string.Join(", ", result.Output)}] errors [{string.Join(", ", result.Errors.Select(e => e.FullyQualifiedErrorId))}]");
            record = (ErrorRecord)result.Output[^1].BaseObject;
        }
        else
        {
            Assert.DoesNotContain(result.Output, o => "TERMINATING".Equals(o?.BaseObject));
            record = Assert.Single(result.Errors);
        }

        Assert.StartsWith(errorId + ",Vault.PowerShell.Commands.", record.FullyQualifiedErrorId);
        return record;
    }

    public void Dispose()
    {
        runspace.Dispose();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
