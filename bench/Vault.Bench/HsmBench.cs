using System.Diagnostics;
using System.Globalization;
using System.Text;
using Vault.Core;

namespace Vault.Bench;

/// <summary>
/// A vault whose root key is in a SoftHSM2 token against a software-backed one, in a hosted runspace
/// of their own: Get-VaultSecret timed in alternating blocks, the open from a locked or evicted
/// state, and the 10,000 versions the rotation figures re-encrypt (see <see cref="HsmProcessBench"/>).
/// </summary>
internal sealed class HsmBench : IDisposable
{
    public const string SoftVault = "bench-soft";
    public const string HsmVault = "bench-hsm";
    public const string RotateHsmVault = "rotate-hsm";
    public const string RotateSoftVault = "rotate-soft";

    /// <summary>Timed rounds; each runs a block of calls on each vault, the order swapping every round (ABBA).</summary>
    public const int Rounds = 20;

    public const int Block = 200;

    /// <summary>Untimed rounds first, the same loop.</summary>
    public const int WarmupRounds = 3;

    public const int OpenRounds = 15;

    public const int OpenWarmup = 2;

    public const int RotationSecrets = 1_000;

    public const int VersionsPerSecret = 10;

    public const int RotationVersions = RotationSecrets * VersionsPerSecret;

    /// <summary>
    /// Timestamps around each call go into per-vault arrays; the loop body is the same for both
    /// vaults (the vault name is a variable), so only the vault differs.
    /// </summary>
    private const string AlternatingScript = """
        param([string[]] $Vaults, [string] $Name, [int] $Rounds, [int] $Block, [int] $Warmup)
        $n = $Rounds * $Block
        $before = @([long[]]::new($n), [long[]]::new($n))
        $after = @([long[]]::new($n), [long[]]::new($n))
        $last = @($null, $null)
        for ($r = -$Warmup; $r -lt $Rounds; $r++) {
            $first = [Math]::Abs($r % 2)
            foreach ($k in $first, (1 - $first)) {
                $vault = $Vaults[$k]
                $b = $before[$k]
                $a = $after[$k]
                $o = $r * $Block
                for ($i = 0; $i -lt $Block; $i++) {
                    $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
                    $result = Get-VaultSecret -VaultName $vault -Name $Name -AsPlainText
                    $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
                    if ($r -ge 0) { $b[$o + $i] = $t0; $a[$o + $i] = $t1 }
                }

                $last[$k] = $result
            }
        }

        , $before[0]
        , $after[0]
        , $before[1]
        , $after[1]
        $last[0]
        $last[1]
        """;

    /// <summary>One open: optionally Lock-Vault, then the first Get-VaultSecret, timed alone.</summary>
    private const string OpenScript = """
        param([string] $Vault, [string] $Name, [bool] $Lock)
        if ($Lock) { Lock-Vault -VaultName $Vault }
        $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
        $result = Get-VaultSecret -VaultName $Vault -Name $Name -AsPlainText
        $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
        $t0
        $t1
        $result
        """;

    private readonly TempHome home;
    private readonly HostedRunspace runspace;
    private readonly VaultManager manager;
    private readonly double firstNewVaultMs;
    private readonly double secondNewVaultMs;

    public HsmBench()
    {
        home = new TempHome("hsm");
        Environment.SetEnvironmentVariable(VaultManager.HomeVariable, home.Path);
        manager = new VaultManager(home.Path);
        try
        {
            runspace = new HostedRunspace();
            (firstNewVaultMs, secondNewVaultMs) = CreateVaults();
        }
        catch
        {
            Dispose();
            throw;
        }

        var info = manager.GetVault(HsmVault);
        if (info.KeyProtector != "Pkcs11" || info.TokenLabel != SoftHsmToken.Label)
        {
            Dispose();
            throw new InvalidOperationException($"Vault '{HsmVault}' is not in the token: {info.KeyProtector} {info.KeyLocation}.");
        }

        // The hosted cmdlets bind to this process's Vault.Core (see CmdletBench.CoreLoadContext),
        // so they share its session cache: the vault New-Vault unlocked is unlocked here too, and
        // evicting a session here evicts it for the cmdlets.
        SharesSessions = info.Unlocked;

        // Opens after Lock-Vault or an eviction take the PIN from the environment, as unattended runs do.
        Environment.SetEnvironmentVariable(SoftHsmToken.PinVariable, SoftHsmToken.UserPin);
    }

    public string Home => home.Path;

    public bool SharesSessions { get; }

    /// <summary>
    /// The four vaults, through New-Vault in the runspace. New-Vault -KeyProtector Pkcs11 is timed
    /// twice: the first is the process's first use of the library (load, C_Initialize); both
    /// generate a root key in the token.
    /// </summary>
    private (double FirstMs, double SecondMs) CreateVaults()
    {
        var output = runspace.Run(
            $$"""
            param([string] $Library, [string] $Token, [string] $Pin, [string] $Value, [string] $Name)
            $pinSecure = ConvertTo-SecureString $Pin -AsPlainText -Force
            $secure = ConvertTo-SecureString $Value -AsPlainText -Force
            $null = New-Vault -Name {{SoftVault}}
            $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $null = New-Vault -Name {{HsmVault}} -KeyProtector Pkcs11 -Pkcs11Library $Library -TokenLabel $Token -Pin $pinSecure
            $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $null = New-Vault -Name {{RotateHsmVault}} -KeyProtector Pkcs11 -Pkcs11Library $Library -TokenLabel $Token -Pin $pinSecure
            $t2 = [System.Diagnostics.Stopwatch]::GetTimestamp()
            $null = New-Vault -Name {{RotateSoftVault}}
            foreach ($v in '{{SoftVault}}', '{{HsmVault}}') { $null = Set-VaultSecret -VaultName $v -Name $Name -SecretValue $secure }
            $t0
            $t1
            $t2
            """,
            ("Library", SoftHsmToken.Library),
            ("Token", SoftHsmToken.Label),
            ("Pin", SoftHsmToken.UserPin),
            ("Value", BenchValues.Value),
            ("Name", BenchValues.SecretName));
        return (
            Samples.TicksToMs((long)output[1].BaseObject - (long)output[0].BaseObject),
            Samples.TicksToMs((long)output[2].BaseObject - (long)output[1].BaseObject));
    }

    public void Created(ResultTable table)
    {
        table.Info("New-Vault -KeyProtector Pkcs11, hosted: first / second in the process", $"{ResultTable.Ms(firstNewVaultMs)} / {ResultTable.Ms(secondNewVaultMs)} (the first loads the library and runs C_Initialize)");
        Console.WriteLine($"  New-Vault -KeyProtector Pkcs11: first {ResultTable.Ms(firstNewVaultMs)}, second {ResultTable.Ms(secondNewVaultMs)}");
    }

    /// <summary>Get-VaultSecret on each vault in alternating blocks: the same noise falls on both.</summary>
    public void CompareGets(ResultTable table)
    {
        var output = runspace.Run(
            AlternatingScript,
            ("Vaults", new[] { SoftVault, HsmVault }),
            ("Name", BenchValues.SecretName),
            ("Rounds", Rounds),
            ("Block", Block),
            ("Warmup", WarmupRounds));
        if (!BenchValues.Value.Equals(output[4].BaseObject) || !BenchValues.Value.Equals(output[5].BaseObject))
        {
            throw new InvalidOperationException("Get-VaultSecret -AsPlainText returned something other than the value.");
        }

        long[] Ticks(int i) => (long[])output[i].BaseObject;
        var soft = LoopResult.FromTimestamps(Ticks(0), Ticks(1)).Samples;
        var hsm = LoopResult.FromTimestamps(Ticks(2), Ticks(3)).Samples;
        var ratio = hsm.P50 / soft.P50;

        // Each round's block p50s, HSM over software: how steady the ratio is across the run.
        var perRound = new Samples(Enumerable.Range(0, Rounds).Select(r =>
            BlockP50(Ticks(2), Ticks(3), r) / BlockP50(Ticks(0), Ticks(1), r)));

        table.Target(
            "Get-VaultSecret -AsPlainText p50, HSM / software vault (alternating)",
            $"{Ratio(ratio)} (HSM {ResultTable.Ms(hsm.P50)}, software {ResultTable.Ms(soft.P50)})",
            "<= 1.25x",
            ratio <= 1.25);
        table.Info("  p95 HSM / software vault", $"{ResultTable.Ms(hsm.P95)} / {ResultTable.Ms(soft.P95)}");
        table.Info($"  per-round p50 ratio, {Rounds} rounds: median (min-max)", $"{Ratio(perRound.P50)} ({Ratio(perRound.Percentile(0))}-{Ratio(perRound.Max)})");
        Console.WriteLine($"  Get -AsPlainText, {Rounds} rounds x {Block} calls each: HSM p50 {ResultTable.Ms(hsm.P50)} p95 {ResultTable.Ms(hsm.P95)}; software p50 {ResultTable.Ms(soft.P50)} p95 {ResultTable.Ms(soft.P95)}; ratio {Ratio(ratio)}");
    }

    /// <summary>
    /// From a locked or evicted state to the first secret read, each vault in turn. Lock-Vault zeroes
    /// the keyring and forgets the PIN; an eviction also closes the vault file. The next read opens
    /// the key protector (for the HSM vault: a session, C_Login with the PIN from the environment,
    /// the key found by label and id, one unwrap per keyring term), then reads.
    /// </summary>
    public void OpenTimes(ResultTable table)
    {
        var paths = new[] { SoftVault, HsmVault }.ToDictionary(v => v, v => manager.GetVault(v).Path);
        var samples = new Dictionary<(string Vault, bool Lock), List<double>>();
        var modes = SharesSessions ? new[] { true, false } : [true];
        for (var r = -OpenWarmup; r < OpenRounds; r++)
        {
            var order = r % 2 == 0 ? new[] { SoftVault, HsmVault } : [HsmVault, SoftVault];
            foreach (var vault in order)
            {
                foreach (var lockFirst in modes)
                {
                    if (!lockFirst)
                    {
                        VaultCache.Evict(paths[vault]);
                    }

                    var output = runspace.Run(OpenScript, ("Vault", vault), ("Name", BenchValues.SecretName), ("Lock", lockFirst));
                    if (!BenchValues.Value.Equals(output[2].BaseObject))
                    {
                        throw new InvalidOperationException($"The first read after opening '{vault}' returned something other than the value.");
                    }

                    if (r >= 0)
                    {
                        var list = samples.TryGetValue((vault, lockFirst), out var l) ? l : samples[(vault, lockFirst)] = [];
                        list.Add(Samples.TicksToMs((long)output[1].BaseObject - (long)output[0].BaseObject));
                    }
                }
            }
        }

        foreach (var lockFirst in modes)
        {
            var hsm = new Samples(samples[(HsmVault, lockFirst)]);
            var soft = new Samples(samples[(SoftVault, lockFirst)]);
            var state = lockFirst ? "after Lock-Vault" : "evicted session";
            table.Info(
                $"HSM vault open, {state} -> first Get (p50 of {OpenRounds})",
                $"{ResultTable.Ms(hsm.P50)} (p95 {ResultTable.Ms(hsm.P95)}; software vault {ResultTable.Ms(soft.P50)})");
            Console.WriteLine($"  open {state} -> first Get: HSM p50 {ResultTable.Ms(hsm.P50)} p95 {ResultTable.Ms(hsm.P95)}; software p50 {ResultTable.Ms(soft.P50)} p95 {ResultTable.Ms(soft.P95)}");
        }

        if (!SharesSessions)
        {
            table.Info("WARNING: evicted-session open not measured", "the hosted cmdlets did not share this process's Vault.Core");
        }
    }

    /// <summary>10,000 versions (1,000 secrets x 10) in each rotation vault, through the core, for the rotation figures.</summary>
    public void FillForRotation(ResultTable table)
    {
        var rates = new List<string>();
        foreach (var name in new[] { RotateHsmVault, RotateSoftVault })
        {
            var vault = manager.Open(name);
            var value = Encoding.UTF8.GetBytes(BenchValues.Value);
            var fill = Stopwatch.StartNew();
            for (var s = 0; s < RotationSecrets; s++)
            {
                var secret = RotationSecret(s);
                for (var v = 0; v < VersionsPerSecret; v++)
                {
                    vault.SetSecret(secret, value);
                }
            }

            fill.Stop();
            rates.Add(ResultTable.PerSecond(RotationVersions / fill.Elapsed.TotalSeconds, "versions"));
        }

        table.Info($"  core: {RotationVersions:N0} versions to rotate ({RotationSecrets:N0} secrets x {VersionsPerSecret}), HSM / software", string.Join(" / ", rates));
        Console.WriteLine($"  {RotationVersions:N0} versions made in each rotation vault: HSM {rates[0]}, software {rates[1]}; {Memory.Snapshot()}");
    }

    public static string RotationSecret(int i) => "r-" + i.ToString("D4", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        runspace?.Dispose();
        foreach (var name in manager.VaultNames)
        {
            manager.RemoveVault(name);
        }

        Environment.SetEnvironmentVariable(SoftHsmToken.PinVariable, null);
        Environment.SetEnvironmentVariable(VaultManager.HomeVariable, null);
        home.Dispose();
    }

    private static double BlockP50(long[] before, long[] after, int round) =>
        Samples.FromTimestamps(before[(round * Block)..((round + 1) * Block)], after[(round * Block)..((round + 1) * Block)]).P50;

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";
}
