using System.Globalization;

namespace Vault.Bench;

/// <summary>
/// The PowerShell loop that times one command per call, as a runbook calls it: timestamps taken
/// before and after each call go into preallocated arrays; the first <c>$Warmup</c> iterations run
/// the same loop but are not kept. It outputs the before array, the after array, and the last result.
/// </summary>
internal static class LoopScript
{
    private const string Template = """
        param([int] $Warmup, [int] $Count)
        $before = [long[]]::new($Count)
        $after = [long[]]::new($Count)
        for ($i = -$Warmup; $i -lt $Count; $i++) {{
            $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $result = {0}
            $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            if ($i -ge 0) {{ $before[$i] = $t0; $after[$i] = $t1 }}
        }}
        , $before
        , $after
        $result
        """;

    /// <summary>The loop around <paramref name="command"/>, to run with -Warmup and -Count.</summary>
    public static string For(string command) => string.Format(CultureInfo.InvariantCulture, Template, command);

    /// <summary>The commands every cmdlet figure times, by label.</summary>
    public static IReadOnlyList<(string Label, string Command)> Commands { get; } =
    [
        ("get-plain", $"Get-VaultSecret -VaultName {BenchValues.VaultName} -Name {BenchValues.SecretName} -AsPlainText"),
        ("get-object", $"Get-VaultSecret -VaultName {BenchValues.VaultName} -Name {BenchValues.SecretName}"),
        ("set", $"Set-VaultSecret -VaultName {BenchValues.VaultName} -Name {BenchValues.SecretName} -SecretValue $secure"),
    ];

    public static string Command(string label) => Commands.Single(c => c.Label == label).Command;
}
