using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using Vault.Core.Resources;

namespace Vault.Core;

/// <summary>Azure Key Vault's limits, enforced by the core so every caller meets them.</summary>
public static partial class SecretRules
{
    public const int MaxNameLength = 127;
    public const int MaxValueBytes = 25 * 1024;
    public const int MaxTags = 15;
    public const int MaxTagNameLength = 512;
    public const int MaxTagValueLength = 512;
    public const int MaxContentTypeLength = 255;
    public const int MinRetentionDays = 7;
    public const int MaxRetentionDays = 90;
    public const int DefaultRetentionDays = 90;

    /// <summary>The largest backup Restore-VaultSecret reads: a larger file is refused before it is read into memory.</summary>
    public const long MaxBackupBytes = 512L * 1024 * 1024;

    // \z, not $: $ also matches before a final newline, which would let "abc\n" pass as a name.
    [GeneratedRegex(@"^[0-9a-zA-Z-]{1,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SecretNameRegex();

    [GeneratedRegex(@"^[0-9a-f]{32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionRegex();

    [GeneratedRegex(@"^[0-9a-fA-F]{32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnyCaseVersionRegex();

    // Azure's vault-name rule: 3-24 characters, a letter first, a letter or digit last, no "--".
    [GeneratedRegex(@"^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]\z", RegexOptions.CultureInvariant)]
    private static partial Regex VaultNameRegex();

    public static bool IsValidSecretName(string? name) => name is not null && SecretNameRegex().IsMatch(name);

    public static bool IsValidVaultName(string? name) => name is not null && VaultNameRegex().IsMatch(name);

    public static void ValidateSecretName(string name)
    {
        if (!IsValidSecretName(name))
        {
            throw VaultErrors.InvalidSecretName(name);
        }
    }

    public static void ValidateVersion(string version)
    {
        if (!VersionRegex().IsMatch(version))
        {
            throw VaultErrors.InvalidSecretVersion(version);
        }
    }

    /// <summary>
    /// A version as the vault stores it: 32 hex characters are compared case-insensitively, as names
    /// are, so one typed or pasted in upper case is the lowercase id. Anything else is left as given,
    /// for <see cref="ValidateVersion"/> to name in its error.
    /// </summary>
    public static string? NormalizeVersion(string? version) =>
        version is not null && AnyCaseVersionRegex().IsMatch(version) ? version.ToLowerInvariant() : version;

    /// <summary>Refuses a backup larger than <see cref="MaxBackupBytes"/> (BackupInvalid, naming <paramref name="source"/>).</summary>
    public static void ValidateBackupSize(long bytes, string source)
    {
        if (bytes > MaxBackupBytes)
        {
            throw VaultErrors.BackupTooLarge(source, bytes);
        }
    }

    public static void ValidateVaultName(string name)
    {
        if (!IsValidVaultName(name))
        {
            throw VaultErrors.InvalidVaultName(name);
        }
    }

    public static void ValidateRetention(int days)
    {
        if (days is < MinRetentionDays or > MaxRetentionDays)
        {
            throw VaultErrors.InvalidRetention(days);
        }
    }

    /// <summary>Checks tags and returns them as the core stores them: string keys and values.</summary>
    public static SortedDictionary<string, string> ValidateTags(string secretName, IDictionary tags)
    {
        if (tags.Count > MaxTags)
        {
            throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.TooManyTags, tags.Count, MaxTags));
        }

        var result = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in tags)
        {
            var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
            if (key.Length is 0 or > MaxTagNameLength || string.IsNullOrWhiteSpace(key))
            {
                throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.InvalidTagName, Truncate(key), MaxTagNameLength));
            }

            var value = Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            if (value.Length > MaxTagValueLength)
            {
                throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.TagValueTooLong, key, value.Length, MaxTagValueLength));
            }

            if (!result.TryAdd(key, value))
            {
                throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.InvalidTagName, key, MaxTagNameLength));
            }
        }

        return result;
    }

    public static void ValidateContentType(string secretName, string? contentType)
    {
        if (contentType is not null && contentType.Length > MaxContentTypeLength)
        {
            throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.ContentTypeTooLong, contentType.Length, MaxContentTypeLength));
        }
    }

    /// <summary>Both times must be UTC (the core normalises before it checks).</summary>
    public static void ValidateValidity(string secretName, DateTime? notBefore, DateTime? expires)
    {
        if (notBefore is { } nb && expires is { } ex && nb > ex)
        {
            throw VaultErrors.InvalidSecretAttribute(secretName, Format(Messages.NotBeforeAfterExpires, nb, ex));
        }
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s.Substring(0, 40) + "...";

    private static string Format(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
