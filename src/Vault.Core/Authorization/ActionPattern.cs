using System.Collections.Concurrent;

namespace Vault.Core.Authorization;

/// <summary>
/// An action with wildcards, as Azure role definitions write them: <c>*</c> stands for any run of
/// characters, <c>/</c> included (<c>Vault/secrets/*</c>, <c>Vault/*/read/action</c>). Case-insensitive.
/// </summary>
public static class ActionPattern
{
    private static readonly ConcurrentDictionary<(string Pattern, string Action), bool> Cache = new();

    public static bool Matches(string pattern, string action) =>
        Cache.Count < 100_000
            ? Cache.GetOrAdd((pattern, action), key => Match(key.Pattern, key.Action))
            : Match(pattern, action);

    /// <summary>Glob matching with <c>*</c> only, iterative with backtracking to the last star.</summary>
    private static bool Match(string pattern, string action)
    {
        int p = 0, a = 0, star = -1, mark = 0;
        while (a < action.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = a;
            }
            else if (p < pattern.Length && char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(action[a]))
            {
                p++;
                a++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                a = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
