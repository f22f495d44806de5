using System.Globalization;

namespace Vault.Bench;

/// <summary>The final table: measure | value | target | verdict.</summary>
internal sealed class ResultTable
{
    private readonly List<(int Section, (string Measure, string Value, string Target, string Verdict) Row)> rows = [];

    /// <summary>Rows print by section, then in the order added, whatever order the phases ran in.</summary>
    public int Section { get; set; }

    /// <summary>A figure with a target: PASS when <paramref name="meets"/>, else MISS.</summary>
    public void Target(string measure, string value, string target, bool meets) =>
        rows.Add((Section, (measure, value, target, meets ? "PASS" : "MISS")));

    /// <summary>A figure reported for context, without a target.</summary>
    public void Info(string measure, string value) => rows.Add((Section, (measure, value, "-", "info")));

    public void Print(TextWriter writer)
    {
        var ordered = rows.OrderBy(r => r.Section).Select(r => r.Row).ToList();
        string[] header = ["measure", "value", "target", "verdict"];
        var widths = header.Select((h, i) => Math.Max(h.Length, ordered.Count == 0 ? 0 : ordered.Max(r => Cell(r, i).Length))).ToArray();
        writer.WriteLine(Line(header, widths));
        writer.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in ordered)
        {
            writer.WriteLine(Line([row.Measure, row.Value, row.Target, row.Verdict], widths));
        }
    }

    public static string Ms(double ms) => ms.ToString(ms < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture) + " ms";

    public static string PerSecond(double perSecond, string unit) => perSecond.ToString("#,0", CultureInfo.InvariantCulture) + " " + unit + "/s";

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private static string Cell((string Measure, string Value, string Target, string Verdict) row, int i) => i switch
    {
        0 => row.Measure,
        1 => row.Value,
        2 => row.Target,
        _ => row.Verdict,
    };

    private static string Line(string[] cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
}
