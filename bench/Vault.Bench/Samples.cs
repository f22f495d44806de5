using System.Diagnostics;

namespace Vault.Bench;

/// <summary>Per-call durations in milliseconds, and their order statistics.</summary>
internal sealed class Samples
{
    private readonly double[] sorted;

    public Samples(IEnumerable<double> milliseconds)
    {
        sorted = milliseconds.ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("No samples.", nameof(milliseconds));
        }

        Array.Sort(sorted);
    }

    public int Count => sorted.Length;

    /// <summary>Every sample, sorted.</summary>
    public IReadOnlyList<double> All => sorted;

    public double P50 => Percentile(50);

    public double P95 => Percentile(95);

    public double P99 => Percentile(99);

    public double Max => sorted[^1];

    public double Mean => sorted.Average();

    /// <summary>From pairs of <see cref="Stopwatch.GetTimestamp"/> values taken before and after each call.</summary>
    public static Samples FromTimestamps(long[] before, long[] after)
    {
        if (before.Length != after.Length)
        {
            throw new ArgumentException("Every call needs a before and an after timestamp.", nameof(after));
        }

        return new Samples(before.Zip(after, (b, a) => TicksToMs(a - b)));
    }

    public static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p)
    {
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
