using System.Collections;
using System.Management.Automation;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>
/// Between PowerShell's objects (PSCredential, Hashtable) and the core's <see cref="SecretContent"/>,
/// which cannot name them: the core stores and checks the value, this only changes its shape.
/// </summary>
internal static class SecretValues
{
    /// <summary>
    /// A value as -SecretValue bound it (<see cref="SecretValueTransformationAttribute"/>) as a secret's
    /// content. A string is too large before it is copied into a SecureString (which holds at most
    /// 65,536 characters) when it has more characters than the limit has bytes.
    /// </summary>
    public static SecretContent ToContent(object value, string secretName) => value switch
    {
        Hashtable hashtable => SecretContent.FromHashtable(Entries(hashtable, secretName), secretName),
        _ => ToScalar(value, secretName) ?? throw new ArgumentException($"Not a secret value: {value.GetType().Name}.", nameof(value)),
    };

    private static IEnumerable<KeyValuePair<string, SecretContent>> Entries(Hashtable hashtable, string secretName)
    {
        foreach (DictionaryEntry entry in hashtable)
        {
            var key = entry.Key is PSObject k ? k.BaseObject : entry.Key;
            if (key is not string name)
            {
                throw VaultErrors.InvalidSecretValue(secretName, $"the hashtable has the key {key} ({key.GetType().Name}); its keys must be strings.");
            }

            var item = entry.Value is PSObject v ? v.BaseObject : entry.Value;
            var content = item is null ? null : ToScalar(item, secretName)
                ?? throw VaultErrors.InvalidSecretValue(secretName,
                    $"the hashtable's entry '{name}' is a {item.GetType().Name}; its values can be strings, SecureStrings, PSCredentials or byte arrays.");
            yield return new(name, content ?? throw VaultErrors.InvalidSecretValue(secretName, $"the hashtable's entry '{name}' is null."));
        }
    }

    private static SecretContent? ToScalar(object value, string secretName) => value switch
    {
        SecureString secure => SecretContent.FromText(secure, SecretType.SecureString),
        string text => SecretContent.FromText(ToSecureString(text, secretName), SecretType.String),
        byte[] bytes => SecretContent.FromBytes(bytes),
        PSCredential credential => SecretContent.FromCredential(credential.UserName, credential.Password),
        _ => null,
    };

    private static SecureString ToSecureString(string text, string secretName)
    {
        if (text.Length > SecretRules.MaxValueBytes)
        {
            // Every character is at least one UTF-8 byte: too large, whatever it holds. Not copied.
            throw VaultErrors.SecretValueTooLarge(secretName, System.Text.Encoding.UTF8.GetByteCount(text));
        }

        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>
    /// A value read from a vault as the object it was set as, the way SecretManagement's Get-Secret
    /// returns it: text as a SecureString (a string with <paramref name="asPlainText"/>), a byte array,
    /// a PSCredential, or a hashtable of those, whose text values follow <paramref name="asPlainText"/> too.
    /// </summary>
    public static object ToObject(SecretContent content, bool asPlainText)
    {
        switch (content.Type)
        {
            case SecretType.Hashtable:
                var table = new Hashtable(content.Entries.Count, StringComparer.OrdinalIgnoreCase);
                foreach (var (key, value) in content.Entries)
                {
                    table[key] = ToObject(value, asPlainText);
                }

                return table;
            case SecretType.ByteArray:
                return content.Bytes!;
            case SecretType.PSCredential:
                return new PSCredential(content.UserName!, content.Text!);
            default:
                return asPlainText ? SecretValue.ToPlainText(content.Text!) : content.Text!;
        }
    }
}
