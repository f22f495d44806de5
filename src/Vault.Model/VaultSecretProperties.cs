using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Vault;

/// <summary>
/// One version of a secret, without its value: what listings return.
/// </summary>
public class VaultSecretProperties
{
    /// <summary>Creates properties; set every required member.</summary>
    public VaultSecretProperties()
    {
    }

    /// <summary>Copies the properties of a version, for the types that add to them.</summary>
    [SetsRequiredMembers]
    protected VaultSecretProperties(VaultSecretProperties other)
    {
        ArgumentNullException.ThrowIfNull(other);
        VaultName = other.VaultName;
        Name = other.Name;
        Version = other.Version;
        Enabled = other.Enabled;
        NotBefore = other.NotBefore;
        Expires = other.Expires;
        Created = other.Created;
        Updated = other.Updated;
        ContentType = other.ContentType;
        Tags = other.Tags;
        SecretType = other.SecretType;
    }

    /// <summary>The vault the secret lives in.</summary>
    public required string VaultName { get; init; }

    /// <summary>The secret's name, as it was first set.</summary>
    public required string Name { get; init; }

    /// <summary>The version: 32 lowercase hexadecimal characters.</summary>
    public required string Version { get; init; }

    /// <summary>The version's identifier: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;/&lt;version&gt;</c>.</summary>
    public string Id => VaultSecretId.Format(VaultName, Name, Version);

    /// <summary>Whether the version may be read.</summary>
    public bool Enabled { get; init; }

    /// <summary>Before this time (UTC) the version is not yet valid.</summary>
    public DateTime? NotBefore { get; init; }

    /// <summary>After this time (UTC) the version has expired.</summary>
    public DateTime? Expires { get; init; }

    /// <summary>When the version was made (UTC).</summary>
    public DateTime Created { get; init; }

    /// <summary>When the version's attributes last changed (UTC).</summary>
    public DateTime Updated { get; init; }

    /// <summary>A hint of what the value holds, such as <c>text/plain</c> or <c>connection-string</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>The version's tags. Keys compare case-insensitively, as in a PowerShell hashtable.</summary>
    public Hashtable Tags { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What the value was when it was set (a string, a SecureString, a PSCredential, a byte array or a
    /// hashtable); it decides which of Get-VaultSecret's switches return it. Text when the version
    /// was set before Vault recorded types. Independent of <see cref="ContentType"/>, which is yours.
    /// </summary>
    public SecretType SecretType { get; init; } = SecretType.String;

    /// <inheritdoc />
    public override string ToString() => Id;
}
