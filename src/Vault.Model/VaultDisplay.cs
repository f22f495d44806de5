using System.Globalization;

namespace Vault;

/// <summary>
/// How the format views (module/Vault.format.ps1xml) write dates and versions: short enough that
/// every table fits 80 columns, and in the reader's own time zone with its offset shown, so an
/// expiry set for 09:09 reads 09:09. The objects keep their UTC values; only the views call this.
/// </summary>
public static class VaultDisplay
{
    /// <summary>The length of a short version, as a short git hash.</summary>
    public const int ShortVersionLength = 8;

    /// <summary>Local time to the minute with its UTC offset (<c>2025-12-15 09:09 -05:00</c>); empty for null.</summary>
    /// <param name="time">A <see cref="DateTime"/> (the model's are UTC; an Unspecified kind is read as UTC, as they are
    /// stored), a <see cref="DateTimeOffset"/>, or null. One <c>object</c> parameter rather than two nullable overloads:
    /// PowerShell finds those ambiguous for <c>$null</c>, and a format view swallows the error and shows nothing.</param>
    public static string Date(object? time) => Format(time, "yyyy-MM-dd HH:mm zzz");

    /// <summary>The local day (<c>2025-12-15</c>); empty for null. Takes what <see cref="Date"/> takes.</summary>
    public static string Day(object? time) => Format(time, "yyyy-MM-dd");

    /// <summary>The local day with the UTC offset of that moment (<c>2025-12-15 -05:00</c>); empty for null.</summary>
    public static string DayAndOffset(object? time) => Format(time, "yyyy-MM-dd zzz");

    /// <summary>The local time of day to the second (<c>09:09:14</c>); empty for null.</summary>
    public static string Clock(object? time) => Format(time, "HH:mm:ss");

    /// <summary>The first eight characters of a version; the version itself when shorter, empty for null.</summary>
    public static string ShortVersion(string? version) =>
        version is null ? string.Empty : version.Length <= ShortVersionLength ? version : version[..ShortVersionLength];

    private static string Format(object? time, string format) =>
        Local(time)?.ToString(format, CultureInfo.InvariantCulture) ?? string.Empty;

    private static DateTimeOffset? Local(object? time) => time switch
    {
        null => null,
        DateTime { Kind: DateTimeKind.Local } local => new DateTimeOffset(local),
        DateTime other => new DateTimeOffset(DateTime.SpecifyKind(other, DateTimeKind.Utc)).ToLocalTime(),
        DateTimeOffset offset => offset.ToLocalTime(),
        _ => throw new ArgumentException($"{time.GetType()} is not a date; give a DateTime or a DateTimeOffset.", nameof(time)),
    };
}
