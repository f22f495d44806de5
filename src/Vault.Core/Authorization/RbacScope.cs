namespace Vault.Core.Authorization;

/// <summary>
/// Where an assignment applies: <c>/</c> (the whole vault), <c>/secrets/&lt;name&gt;</c> (one secret) or
/// <c>/secrets/&lt;prefix&gt;*</c> (every secret whose name starts with the prefix). Compared
/// case-insensitively, as secret names are.
/// </summary>
public static class RbacScope
{
    public const string Root = "/";
    private const string SecretsPrefix = "/secrets/";

    public static string ForSecret(string name) => SecretsPrefix + name;

    /// <summary>Checks and normalises a scope a user gives; throws InvalidScope.</summary>
    public static string Normalize(string scope)
    {
        var trimmed = scope.Trim();
        if (trimmed == Root)
        {
            return Root;
        }

        if (trimmed.StartsWith(SecretsPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var rest = trimmed.Substring(SecretsPrefix.Length);
            var name = rest.EndsWith('*') ? rest[..^1] : rest;
            if ((rest.EndsWith('*') && (name.Length == 0 || SecretRules.IsValidSecretName(name))) || SecretRules.IsValidSecretName(rest))
            {
                return SecretsPrefix + rest;
            }
        }

        throw VaultErrors.InvalidScope(scope);
    }

    /// <summary>Whether an assignment at <paramref name="scope"/> applies to <paramref name="target"/>.</summary>
    public static bool Covers(string scope, string target)
    {
        if (scope == Root)
        {
            return true;
        }

        return scope.EndsWith('*')
            ? target.StartsWith(scope.AsSpan(0, scope.Length - 1), StringComparison.OrdinalIgnoreCase) && target.Length >= scope.Length - 1 && target != Root
            : string.Equals(scope, target, StringComparison.OrdinalIgnoreCase);
    }
}
