using System.Diagnostics.CodeAnalysis;

namespace Vault;

/// <summary>
/// Formats and parses the identifiers of a vault's objects:
/// <c>vault://&lt;vault&gt;/&lt;collection&gt;/&lt;name&gt;[/&lt;version&gt;]</c>, where the collection is
/// <c>secrets</c> (and, in later steps, <c>keys</c> and <c>certificates</c>), as Azure's object URIs are.
/// </summary>
public static class VaultObjectId
{
    /// <summary>The URI scheme of every Vault identifier.</summary>
    public const string Scheme = "vault";

    /// <summary>The identifier of a vault itself.</summary>
    public static string ForVault(string vaultName) => $"{Scheme}://{vaultName}";

    /// <summary>Formats the identifier of an object, or of one of its versions.</summary>
    public static string Format(string vaultName, string collection, string name, string? version = null) =>
        string.IsNullOrEmpty(version)
            ? $"{Scheme}://{vaultName}/{collection}/{name}"
            : $"{Scheme}://{vaultName}/{collection}/{name}/{version}";

    /// <summary>
    /// Splits an identifier of an object in <paramref name="collection"/> into its parts. Only the
    /// shape is checked here; names and versions are validated where they are used.
    /// </summary>
    public static bool TryParse(
        string? id,
        string collection,
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
        if (parts.Length is < 3 or > 4 || !string.Equals(parts[1], collection, StringComparison.OrdinalIgnoreCase)
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
