using System.Diagnostics.CodeAnalysis;

namespace Vault;

/// <summary>Formats and parses secret identifiers: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;[/&lt;version&gt;]</c>.</summary>
public static class VaultSecretId
{
    /// <summary>The URI scheme of every Vault identifier.</summary>
    public const string Scheme = VaultObjectId.Scheme;

    /// <summary>The collection of secrets in an identifier.</summary>
    public const string Collection = "secrets";

    /// <summary>Formats the identifier of a secret, or of one of its versions.</summary>
    public static string Format(string vaultName, string name, string? version = null) =>
        VaultObjectId.Format(vaultName, Collection, name, version);

    /// <summary>
    /// Splits an identifier into its parts. Only the shape is checked here; names and versions
    /// are validated where they are used.
    /// </summary>
    public static bool TryParse(
        string? id,
        [NotNullWhen(true)] out string? vaultName,
        [NotNullWhen(true)] out string? name,
        out string? version) =>
        VaultObjectId.TryParse(id, Collection, out vaultName, out name, out version);
}
