using System.Collections;

namespace Vault.Core;

/// <summary>The attributes of a new version. Null content type or tags carry forward from the latest version.</summary>
public sealed record SecretSetOptions
{
    public string? ContentType { get; init; }
    public IDictionary? Tags { get; init; }
    public DateTime? NotBefore { get; init; }
    public DateTime? Expires { get; init; }
    public bool Enabled { get; init; } = true;
}

/// <summary>Attribute changes to one version; a null property leaves that attribute as it is.</summary>
public sealed record SecretUpdate
{
    public bool? Enabled { get; init; }
    public DateTime? NotBefore { get; init; }
    public DateTime? Expires { get; init; }
    public string? ContentType { get; init; }
    public IDictionary? Tags { get; init; }

    /// <summary>Removes the not-before time (the version is valid from its creation); <see cref="NotBefore"/> must then be null.</summary>
    public bool ClearNotBefore { get; init; }

    /// <summary>Removes the expiry time (the version never expires); <see cref="Expires"/> must then be null.</summary>
    public bool ClearExpires { get; init; }

    public bool IsEmpty => Enabled is null && NotBefore is null && Expires is null && ContentType is null && Tags is null && !ClearNotBefore && !ClearExpires;

    /// <summary>The attributes this update sets, by name (for the audit record).</summary>
    public IEnumerable<string> ChangedNames()
    {
        if (Enabled is not null)
        {
            yield return "Enabled";
        }

        if (NotBefore is not null || ClearNotBefore)
        {
            yield return ClearNotBefore ? "NotBefore (cleared)" : "NotBefore";
        }

        if (Expires is not null || ClearExpires)
        {
            yield return ClearExpires ? "Expires (cleared)" : "Expires";
        }

        if (ContentType is not null)
        {
            yield return "ContentType";
        }

        if (Tags is not null)
        {
            yield return "Tags";
        }
    }
}
