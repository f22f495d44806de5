using System.Diagnostics;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Runs the real pwsh (the PowerShell tool pinned in .config/dotnet-tools.json) in its own process.
/// Its only way to Vault is the built module folder, exactly as a user's pwsh; the Pester suite finds
/// it through VAULT_TEST_MANIFEST.
/// </summary>
public static class PwshProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Process Start(string home, params string[] arguments) => Start(home, null, arguments);

    public static Process Start(string home, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        info.ArgumentList.Add(Repo.PwshHost);
        info.ArgumentList.Add("-NoProfile");
        info.ArgumentList.Add("-NonInteractive");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["VAULT_HOME"] = home;
        // The hosted runspace in this test process set PSModulePath; the child must not inherit it.
        info.Environment.Remove("PSModulePath");
        info.Environment["NO_COLOR"] = "1";
        info.Environment["VAULT_TEST_MANIFEST"] = Repo.Manifest;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }

    public static Result Run(string home, TimeSpan timeout, params string[] arguments) => Run(home, null, timeout, arguments);

    public static Result Run(string home, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(home, environment, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh {string.Join(' ', arguments)} did not finish in {timeout}.");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Command(string home, string command) =>
        Run(home, TimeSpan.FromMinutes(2), "-Command", $"$ErrorActionPreference = 'Stop'; Import-Module '{Repo.Manifest}'; {command}");
}
