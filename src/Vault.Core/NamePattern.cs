using System.Text;
using System.Text.RegularExpressions;

namespace Vault.Core;

/// <summary>
/// A name or a PowerShell-style wildcard (<c>*</c>, <c>?</c>, <c>[a-c]</c>), compared
/// case-insensitively. The core matches names itself so it never depends on PowerShell.
/// </summary>
public sealed class NamePattern
{
    private static readonly char[] WildcardChars = ['*', '?', '['];
    private readonly Regex? regex;

    private NamePattern(string? pattern)
    {
        Pattern = pattern;
        if (string.IsNullOrEmpty(pattern) || pattern == "*")
        {
            Prefix = string.Empty;
            return;
        }

        var first = pattern.IndexOfAny(WildcardChars);
        Prefix = first < 0 ? pattern : pattern.Substring(0, first);
        regex = new Regex(ToRegex(pattern), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    public string? Pattern { get; }

    /// <summary>The literal text before the first wildcard: storage can narrow a listing by it.</summary>
    public string Prefix { get; }

    public static NamePattern All { get; } = new(null);

    public static NamePattern Parse(string? pattern) => new(pattern);

    public static bool HasWildcard(string? name) => name is not null && name.IndexOfAny(WildcardChars) >= 0;

    public bool IsMatch(string name) => regex is null || regex.IsMatch(name);

    /// <summary>The pattern as given (<c>*</c> for all): what an audit record shows a listing asked for.</summary>
    public override string ToString() => string.IsNullOrEmpty(Pattern) ? "*" : Pattern;

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close > i + 1)
                    {
                        sb.Append('[').Append(EscapeClass(pattern.AsSpan(i + 1, close - i - 1))).Append(']');
                        i = close;
                    }
                    else
                    {
                        sb.Append(@"\[");
                    }

                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        // \z: the whole name, never a name with a newline after it.
        return sb.Append(@"\z").ToString();
    }

    // Inside [...] only letters, digits and '-' (as a range) keep their meaning.
    private static string EscapeClass(ReadOnlySpan<char> body)
    {
        var sb = new StringBuilder();
        foreach (var c in body)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c.ToString() : @"\" + c);
        }

        return sb.ToString();
    }
}
