using System.Globalization;

namespace Vault.Bench;

/// <summary>
/// The HSM vault in fresh pwsh processes: the first secret read in a process, which loads the
/// PKCS#11 library and runs C_Initialize, and Invoke-VaultKeyRotation -ReencryptSecrets over
/// 10,000 versions with the process's peak working set. Each child gets <c>SOFTHSM2_CONF</c> and
/// <c>VAULT_PKCS11_PIN</c> only from <c>$env:</c> lines in its script, as a user sets them in pwsh:
/// both are removed from the environment it inherits.
/// </summary>
internal static class HsmProcessBench
{
    public const int Runs = 7;

    private static readonly string[] Inherited = [SoftHsmToken.ConfVariable, SoftHsmToken.PinVariable];

    /// <summary>
    /// Two scripts, run alternately, <see cref="Runs"/> times each after one untimed run. "hsm-first":
    /// the HSM vault is the first thing read after Import-Module. "soft-first": a software vault is
    /// read first and the HSM vault's file opened (Get-Vault), so the HSM read that follows adds only
    /// the PKCS#11 side: Pkcs11Interop, the library's load and C_Initialize, the first session and
    /// login, and their JIT. Both then read again after Lock-Vault, the library already initialized.
    /// </summary>
    public static void FirstLoad(string home, SoftHsmToken token, ResultTable table)
    {
        var hsmFirst = Script(token, $$"""
            $value = Get-VaultSecret -VaultName {{HsmBench.HsmVault}} -Name {{BenchValues.SecretName}} -AsPlainText
            Mark
            Lock-Vault -VaultName {{HsmBench.HsmVault}}
            Mark
            $again = Get-VaultSecret -VaultName {{HsmBench.HsmVault}} -Name {{BenchValues.SecretName}} -AsPlainText
            Mark
            """);
        var softFirst = Script(token, $$"""
            $soft = Get-VaultSecret -VaultName {{HsmBench.SoftVault}} -Name {{BenchValues.SecretName}} -AsPlainText
            Mark
            $null = Get-Vault -VaultName {{HsmBench.HsmVault}}
            Mark
            $value = Get-VaultSecret -VaultName {{HsmBench.HsmVault}} -Name {{BenchValues.SecretName}} -AsPlainText
            Mark
            Lock-Vault -VaultName {{HsmBench.HsmVault}}
            Mark
            $again = Get-VaultSecret -VaultName {{HsmBench.HsmVault}} -Name {{BenchValues.SecretName}} -AsPlainText
            Mark
            if ($soft -ne $value) { throw 'the software vault read back a different value' }
            """);

        // One run first, untimed: the first start reads the files from disk.
        Times(home, hsmFirst);
        var a = new List<double[]>();
        var b = new List<double[]>();
        for (var i = 0; i < Runs; i++)
        {
            a.Add(Times(home, hsmFirst));
            b.Add(Times(home, softFirst));
        }

        // Marks: a = [import, first HSM read, locked, HSM read again]; b = [import, software read,
        // Get-Vault on the HSM vault, first HSM read, locked, HSM read again].
        Samples Of(List<double[]> runs, int from, int to) => new(runs.Select(t => t[to] - t[from]));
        var import = new Samples(a.Concat(b).Select(t => t[0]));
        var firstHsm = Of(a, 0, 1);
        var firstSoft = Of(b, 0, 1);
        var pkcs11First = Of(b, 2, 3);
        var reopen = new Samples(a.Select(t => t[3] - t[2]).Concat(b.Select(t => t[5] - t[4])));

        table.Info($"fresh pwsh: first Get-VaultSecret, HSM vault (median of {Runs})", $"{ResultTable.Ms(firstHsm.P50)} (software vault: {ResultTable.Ms(firstSoft.P50)}; Import-Module before it: {ResultTable.Ms(import.P50)})");
        table.Info("  HSM read after a software read + Get-Vault (first PKCS#11 use)", $"{ResultTable.Ms(pkcs11First.P50)} (min-max {ResultTable.Ms(pkcs11First.Percentile(0))}-{ResultTable.Ms(pkcs11First.Max)})");
        table.Info("  HSM read after Lock-Vault, library initialized", $"{ResultTable.Ms(reopen.P50)}: library load + C_Initialize + first-use JIT ~ {ResultTable.Ms(pkcs11First.P50 - reopen.P50)}");
        Console.WriteLine($"  sorted, in ms: first HSM read {Join(firstHsm)}; first software read: {Join(firstSoft)}; first PKCS#11 use after a software read: {Join(pkcs11First)}; after Lock-Vault: {Join(reopen)}");
    }

    /// <summary>
    /// <c>Invoke-VaultKeyRotation -VaultName v -ReencryptSecrets -Force</c> in a fresh pwsh process,
    /// on the HSM vault and then the software one. The vault is opened (one read) before the timed
    /// command, and the peak working set read before and after it.
    /// </summary>
    public static void Rotation(string home, SoftHsmToken token, ResultTable table)
    {
        var results = new Dictionary<string, (double Ms, long Moved, long PeakBefore, long PeakAfter)>();
        foreach (var vault in new[] { HsmBench.RotateHsmVault, HsmBench.RotateSoftVault })
        {
            var first = HsmBench.RotationSecret(0);
            var last = HsmBench.RotationSecret(HsmBench.RotationSecrets - 1);
            var script = $$"""
                $ErrorActionPreference = 'Stop'
                $ProgressPreference = 'SilentlyContinue'
                $env:{{SoftHsmToken.ConfVariable}} = '{{token.ConfPath}}'
                $env:{{SoftHsmToken.PinVariable}} = '{{SoftHsmToken.UserPin}}'
                Import-Module '{{BenchRepo.Manifest}}'
                if ((Get-VaultSecret -VaultName {{vault}} -Name {{first}} -AsPlainText) -ne '{{BenchValues.Value}}') { throw 'wrong value before the rotation' }
                $self = [System.Diagnostics.Process]::GetCurrentProcess()
                $self.Refresh()
                $peakBefore = $self.PeakWorkingSet64
                $sw = [System.Diagnostics.Stopwatch]::StartNew()
                $log = Invoke-VaultKeyRotation -VaultName {{vault}} -ReencryptSecrets -Force -Verbose 4>&1
                $ms = $sw.Elapsed.TotalMilliseconds
                $self.Refresh()
                $peakAfter = $self.PeakWorkingSet64
                function Moved($records) { [long]([regex]::Match((($records | ForEach-Object { "$_" }) -join "`n"), 'Re-encrypted (\d+)').Groups[1].Value) }
                $moved = Moved $log
                $left = Moved (Invoke-VaultKeyRotation -VaultName {{vault}} -ResumeReencryption -Force -Verbose 4>&1)
                $terms = (Get-Vault -VaultName {{vault}}).KeyringTerms
                if ($left -ne 0 -or $terms -ne 2) { throw "after the rotation: $left versions left on old terms, $terms keyring terms" }
                if ((Get-VaultSecret -VaultName {{vault}} -Name {{last}} -AsPlainText) -ne '{{BenchValues.Value}}') { throw 'wrong value after the rotation' }
                'ROTATE {0} {1} {2} {3}' -f $ms.ToString([System.Globalization.CultureInfo]::InvariantCulture), $moved, $peakBefore, $peakAfter
                """;
            var (stdout, _) = PwshProcess.Command(home, script, Inherited);
            var fields = PwshProcess.Line(stdout, "ROTATE");
            results[vault] = (
                double.Parse(fields[0], CultureInfo.InvariantCulture),
                long.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[2], CultureInfo.InvariantCulture),
                long.Parse(fields[3], CultureInfo.InvariantCulture));
            if (results[vault].Moved != HsmBench.RotationVersions)
            {
                throw new InvalidOperationException($"The rotation of '{vault}' re-encrypted {results[vault].Moved} versions, expected {HsmBench.RotationVersions}.");
            }
        }

        var hsm = results[HsmBench.RotateHsmVault];
        var soft = results[HsmBench.RotateSoftVault];
        table.Info($"Invoke-VaultKeyRotation -ReencryptSecrets, {HsmBench.RotationVersions:N0} versions, HSM vault", $"{hsm.Ms / 1000:0.00} s ({ResultTable.PerSecond(Rate(hsm), "versions")})");
        table.Info("  peak working set of that pwsh process (before the rotation)", $"{ResultTable.Bytes(hsm.PeakAfter)} ({ResultTable.Bytes(hsm.PeakBefore)})");
        table.Info("  the same on a software vault, in another pwsh process", $"{soft.Ms / 1000:0.00} s ({ResultTable.PerSecond(Rate(soft), "versions")}), peak {ResultTable.Bytes(soft.PeakAfter)} ({ResultTable.Bytes(soft.PeakBefore)})");
        Console.WriteLine($"  rotation + re-encryption of {HsmBench.RotationVersions:N0} versions: HSM {hsm.Ms:0} ms, software {soft.Ms:0} ms; peak working set HSM {ResultTable.Bytes(hsm.PeakBefore)} -> {ResultTable.Bytes(hsm.PeakAfter)}, software {ResultTable.Bytes(soft.PeakBefore)} -> {ResultTable.Bytes(soft.PeakAfter)}");
    }

    private static double Rate((double Ms, long Moved, long PeakBefore, long PeakAfter) r) => r.Moved / (r.Ms / 1000);

    /// <summary>
    /// A script that sets the variables, then marks the elapsed time after Import-Module and after
    /// each <c>Mark</c> line of <paramref name="body"/>, and prints them on a TIMES line.
    /// </summary>
    private static string Script(SoftHsmToken token, string body) => $$"""
        $ErrorActionPreference = 'Stop'
        $env:{{SoftHsmToken.ConfVariable}} = '{{token.ConfPath}}'
        $env:{{SoftHsmToken.PinVariable}} = '{{SoftHsmToken.UserPin}}'
        $marks = [System.Collections.Generic.List[double]]::new()
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        function Mark { $marks.Add($sw.Elapsed.TotalMilliseconds) }
        Import-Module '{{BenchRepo.Manifest}}'
        Mark
        {{body}}
        if ($value -ne '{{BenchValues.Value}}' -or $again -ne $value) { throw 'the HSM vault read back a different value' }
        $inv = [System.Globalization.CultureInfo]::InvariantCulture
        'TIMES ' + (($marks | ForEach-Object { $_.ToString($inv) }) -join ' ')
        """;

    private static double[] Times(string home, string script)
    {
        var (stdout, _) = PwshProcess.Command(home, script, Inherited);
        return PwshProcess.Line(stdout, "TIMES").Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
    }

    private static string Join(Samples samples) =>
        string.Join(", ", Enumerable.Range(0, samples.Count).Select(i => samples.Percentile(100.0 * (i + 1) / samples.Count).ToString("0", CultureInfo.InvariantCulture)));
}
