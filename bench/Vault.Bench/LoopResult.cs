namespace Vault.Bench;

/// <summary>One timed loop: per-call durations, and the whole loop's time (first call's start to last call's end).</summary>
internal sealed record LoopResult(Samples Samples, double LoopMs)
{
    public static LoopResult FromTimestamps(long[] before, long[] after) =>
        new(Samples.FromTimestamps(before, after), Samples.TicksToMs(after[^1] - before[0]));

    public double CallsPerSecond => Samples.Count / (LoopMs / 1000.0);
}
