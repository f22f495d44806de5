using System.Diagnostics.CodeAnalysis;

namespace Vault;

/// <summary>Formats and parses secret identifiers: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;[/&lt;version&gt;]</c>.</summary>
public static class VaultSecretId
{
    /// <summary>The URI scheme of every Vault identifier.</summary>
    public const string Scheme = "vault";

    /// <summary>Formats the identifier of a secret, or of one of its versions.</summary>
    public static string Format(string vaultName, string name, string? version = null) =>
        string.IsNullOrEmpty(version)
            ? $"{Scheme}://{vaultName}/secrets/{name}"
            : $"{Scheme}://{vaultName}/secrets/{name}/{version}";

    /// <summary>
    /// Splits an identifier into its parts. Only the shape is checked here; names and versions
    /// are validated where they are used.
    /// </summary>
    public static bool TryParse(
        string? id,
        [NotNullWhen(true)] out string? vaultName,
        [NotNullWhen(true)] out string? name,
        out string? version)
    {
        vaultName = name = version = null;
        const string prefix = Scheme + "://";
        if (id is null || !id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var parts = id.Substring(prefix.Length).Split('/');
        if (parts.Length is < 3 or > 4 || !string.Equals(parts[1], "secrets", StringComparison.OrdinalIgnoreCase)
            || Array.Exists(parts, string.IsNullOrWhiteSpace))
        {
            return false;
        }

        vaultName = parts[0];
        name = parts[2];
        version = parts.Length == 4 ? parts[3] : null;
        return true;
    }
}
