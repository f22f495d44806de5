using System.Diagnostics;
using System.Globalization;

namespace Vault.Bench;

/// <summary>The bench process's memory, printed after each phase beside its timings.</summary>
internal static class Memory
{
    public static long PeakWorkingSet
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            return self.PeakWorkingSet64;
        }
    }

    public static string Snapshot() =>
        $"peak working set {ResultTable.Bytes(PeakWorkingSet)}, GC heap {ResultTable.Bytes(GC.GetTotalMemory(false))}, allocated so far {ResultTable.Bytes(GC.GetTotalAllocatedBytes())}";

    /// <summary>
    /// Starts a new peak: Linux resets the process's peak resident set (VmHWM) to its current one
    /// when "5" is written to /proc/self/clear_refs, so <see cref="PeakSinceReset"/> then gives the
    /// peak of one operation, not of the whole run. False where that is not possible.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The peak resident set since <see cref="ResetPeak"/> (VmHWM), in bytes; the whole run's peak if the reset failed.</summary>
    public static long PeakSinceReset => Status("VmHWM:") ?? PeakWorkingSet;

    /// <summary>The resident set now (VmRSS), in bytes.</summary>
    public static long Resident => Status("VmRSS:") ?? Environment.WorkingSet;

    private static long? Status(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    // "VmHWM:    123456 kB"
                    var kb = line[field.Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }
}
