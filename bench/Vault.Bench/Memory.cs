using System.Diagnostics;

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
}
