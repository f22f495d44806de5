using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using Vault.Core;

// The core probe of the bench's step-5 phase (bench/README.md). The bench builds this same source
// twice, against the Vault.Core of the commit before step 5 and against the current one, and runs
// the two alternately. It uses only public API that both cores have: new VaultManager(home),
// CreateVault, Open, SetSecret(name, SecureString), GetSecret(name).
//
//   Vault.CoreProbe <home> <warm-up calls> <timed calls>
//
// prints one line each: PROBE-CORE (the Vault.Core it runs on), PROBE-RESULT (p50 and p95 in µs,
// calls/s), PROBE-TICKS (Stopwatch frequency, then every timed call's duration in ticks) and
// PROBE-HWM (the peak resident set, VmHWM, in bytes, read just before exit).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Vault.CoreProbe <home> <warm-up calls> <timed calls>");
    return 2;
}

const string VaultName = "bench";
const string SecretName = "s";
const string Value = "Server=db01;User Id=app;Password=Tr0ub4dor&3-correct-horse!";

var home = args[0];
var warmup = int.Parse(args[1], CultureInfo.InvariantCulture);
var count = int.Parse(args[2], CultureInfo.InvariantCulture);

var manager = new VaultManager(home);
manager.CreateVault(VaultName);
var vault = manager.Open(VaultName);
using (var secure = new SecureString())
{
    foreach (var c in Value)
    {
        secure.AppendChar(c);
    }

    secure.MakeReadOnly();
    vault.SetSecret(SecretName, secure);
}

for (var i = 0; i < warmup; i++)
{
    vault.GetSecret(SecretName).SecretValue.Dispose();
}

var before = new long[count];
var after = new long[count];
for (var i = 0; i < count; i++)
{
    before[i] = Stopwatch.GetTimestamp();
    vault.GetSecret(SecretName).SecretValue.Dispose();
    after[i] = Stopwatch.GetTimestamp();
}

using (var check = vault.GetSecret(SecretName).SecretValue)
{
    if (PlainText(check) != Value)
    {
        Console.Error.WriteLine("GetSecret returned something other than the value.");
        return 1;
    }
}

var ticks = before.Zip(after, (b, a) => a - b).ToArray();
var sorted = ticks.Order().ToArray();
double Us(long t) => t * 1_000_000.0 / Stopwatch.Frequency;
long Percentile(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
var perSecond = count / ((after[^1] - before[0]) / (double)Stopwatch.Frequency);

var core = typeof(VaultManager).Assembly;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROBE-CORE {core.GetType("Vault.Core.VaultEngine") is not null} {core.Location}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROBE-RESULT {Us(Percentile(50)):0.0} {Us(Percentile(95)):0.0} {perSecond:0}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROBE-TICKS {Stopwatch.Frequency} {string.Join(',', ticks)}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROBE-HWM {PeakResident()}"));
return 0;

static string PlainText(SecureString secure)
{
    var pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
    try
    {
        return Marshal.PtrToStringUni(pointer) ?? string.Empty;
    }
    finally
    {
        Marshal.ZeroFreeGlobalAllocUnicode(pointer);
    }
}

// VmHWM from /proc/self/status ("VmHWM:    123456 kB"); the process's peak working set elsewhere.
static long PeakResident()
{
    try
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        if (line is not null)
        {
            return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
    }
    catch (IOException)
    {
    }

    using var self = Process.GetCurrentProcess();
    return self.PeakWorkingSet64;
}
