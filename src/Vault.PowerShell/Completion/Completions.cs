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
}
