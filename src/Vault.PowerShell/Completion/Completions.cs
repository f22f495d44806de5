using System.Management.Automation;

namespace Vault.PowerShell.Completion;

internal static class Completions
{
    public static string Unquote(string word) => word.Trim('\'', '"');

    public static IEnumerable<CompletionResult> From(IEnumerable<string> names, string wordToComplete)
    {
        var prefix = Unquote(wordToComplete);
        return names
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
            .ToList();
    }

    /// <summary>A completion whose text is put in single quotes (any quote in it doubled), so PowerShell reads it as one word.</summary>
    public static CompletionResult Quoted(CompletionResult r) =>
        new($"'{r.CompletionText.Replace("'", "''", StringComparison.Ordinal)}'", r.ListItemText, r.ResultType, r.ToolTip);
}
