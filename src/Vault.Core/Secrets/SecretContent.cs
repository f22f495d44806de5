using System.Buffers;
using System.Security;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Vault.Core;

/// <summary>
/// A secret's value as the kind of object it was set as: text (a string or a SecureString), a byte
/// array, a user name with its password, or a hashtable of those. The PowerShell layer makes one
/// from what a user gave and turns one back into PSCredential or Hashtable; this class owns the
/// stored form, which is sealed as the value (never in the clear anywhere else):
/// <list type="bullet">
/// <item>text: its UTF-8 bytes, exactly as before types were recorded;</item>
/// <item>any other type: a UTF-8 JSON document, <c>{"v":1,"type":"PSCredential","userName":…,"password":…}</c>,
/// <c>{"v":1,"type":"ByteArray","value":"&lt;base64&gt;"}</c>, or
/// <c>{"v":1,"type":"Hashtable","entries":[{"key":…,"type":…,…},…]}</c> with entries sorted by key.</item>
/// </list>
/// So every stored value stays valid UTF-8 (a REST client reads it as a string) and within the
/// value size limit, and the same content always has the same bytes. The type is also recorded
/// in the version's own authenticated column; reading checks the two agree.
/// </summary>
public sealed class SecretContent
{
    private const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Escapes only what JSON needs: secret text is never put in HTML, and fewer escapes keep
        // more of the 25 KiB for the value.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private SecretContent(SecretType type, SecureString? text, string? userName, byte[]? bytes, IReadOnlyList<KeyValuePair<string, SecretContent>>? entries)
    {
        Type = type;
        Text = text;
        UserName = userName;
        Bytes = bytes;
        Entries = entries ?? [];
    }

    /// <summary>What the value is.</summary>
    public SecretType Type { get; }

    /// <summary>The text (String, SecureString), or a PSCredential's password.</summary>
    public SecureString? Text { get; }

    /// <summary>A PSCredential's user name.</summary>
    public string? UserName { get; }

    /// <summary>A ByteArray's bytes.</summary>
    public byte[]? Bytes { get; }

    /// <summary>A Hashtable's entries, sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, SecretContent>> Entries { get; }

    /// <summary>Text, recorded as given as a string (<see cref="SecretType.String"/>) or as a SecureString.</summary>
    public static SecretContent FromText(SecureString text, SecretType type = SecretType.SecureString)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (type is not (SecretType.String or SecretType.SecureString))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Text is a String or a SecureString.");
        }

        return new(type, text, null, null, null);
    }

    /// <summary>A byte array. It is read when the content is stored; the caller keeps (and may zero) it.</summary>
    public static SecretContent FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new(SecretType.ByteArray, null, null, bytes, null);
    }

    /// <summary>A user name and its password.</summary>
    public static SecretContent FromCredential(string userName, SecureString password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        return new(SecretType.PSCredential, password, userName, null, null);
    }

    /// <summary>
    /// A hashtable: text, byte-array or credential values under string keys, as SecretManagement
    /// allows (no hashtable inside another). Keys are compared case-insensitively, as PowerShell's are.
    /// </summary>
    public static SecretContent FromHashtable(IEnumerable<KeyValuePair<string, SecretContent>> entries, string secretName)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var (key, value) = (sorted[i].Key, sorted[i].Value);
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            if (value.Type == SecretType.Hashtable)
            {
                throw VaultErrors.InvalidSecretValue(secretName, $"the hashtable's entry '{key}' is a hashtable; its values can be strings, SecureStrings, PSCredentials or byte arrays.");
            }

            if (i > 0 && string.Equals(sorted[i - 1].Key, key, StringComparison.OrdinalIgnoreCase))
            {
                throw VaultErrors.InvalidSecretValue(secretName, $"the hashtable has the keys '{sorted[i - 1].Key}' and '{key}', which differ only in case.");
            }
        }

        return new(SecretType.Hashtable, null, null, null, sorted);
    }

    /// <summary>
    /// The content a stored form stands for: <paramref name="stored"/> is the text of a version's
    /// value (a VaultSecret's SecretValue), <paramref name="type"/> its recorded type. Refused with
    /// InvalidSecretValue when the text is not a value of that type.
    /// </summary>
    public static SecretContent FromStored(SecureString stored, SecretType type, string secretName)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (type is SecretType.String or SecretType.SecureString)
        {
            return FromText(stored, type);
        }

        var utf8 = SecretValue.ToUtf8(stored, secretName);
        try
        {
            return Decode(type, utf8, secretName);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    /// <summary>Whether a version of <paramref name="actual"/> type answers a request for <paramref name="requested"/>: text is text, whether given as a string or a SecureString.</summary>
    public static bool Answers(SecretType actual, SecretType requested) =>
        IsText(actual) ? IsText(requested) : actual == requested;

    internal static bool IsText(SecretType type) => type is SecretType.String or SecretType.SecureString;

    /// <summary>The recorded name of a type (the version's secret_type column); null for text stored without one.</summary>
    internal static string Record(SecretType type) => type.ToString();

    /// <summary>The type a version's column records: text when it records none (versions from before), Unknown for a name this version does not know.</summary>
    internal static SecretType Recorded(string? column) =>
        column is null ? SecretType.String
        : Enum.TryParse<SecretType>(column, ignoreCase: false, out var type) && type != SecretType.Unknown && Enum.IsDefined(type) && type.ToString() == column ? type
        : SecretType.Unknown;

    /// <summary>The stored form, in a buffer the caller clears (zeroes). SecretValueTooLarge when it is over the limit.</summary>
    internal SecretBackup.ZeroingBuffer Encode(string secretName)
    {
        if (IsText(Type))
        {
            var utf8 = SecretValue.ToUtf8(Text!, secretName);
            try
            {
                var text = new SecretBackup.ZeroingBuffer(Math.Max(utf8.Length, 1));
                utf8.CopyTo(text.GetSpan(utf8.Length));
                text.Advance(utf8.Length);
                return text;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(utf8);
            }
        }

        // Base64 makes bytes a third larger: more raw bytes than the limit can never fit, and are not encoded.
        var raw = (Bytes?.LongLength ?? 0) + Entries.Sum(e => e.Value.Bytes?.LongLength ?? 0);
        if (raw > SecretRules.MaxValueBytes)
        {
            throw VaultErrors.SecretValueTooLarge(secretName, (raw + 2) / 3 * 4);
        }

        var buffer = new SecretBackup.ZeroingBuffer(SecretRules.MaxValueBytes + 1024);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteNumber("v", FormatVersion);
                WriteBody(writer, this, secretName);
                if (Type == SecretType.Hashtable)
                {
                    writer.WriteStartArray("entries");
                    foreach (var (key, value) in Entries)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("key", key);
                        WriteBody(writer, value, secretName);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            if (buffer.WrittenSpan.Length > SecretRules.MaxValueBytes)
            {
                throw VaultErrors.SecretValueTooLarge(secretName, buffer.WrittenSpan.Length);
            }

            return buffer;
        }
        catch
        {
            buffer.Clear();
            throw;
        }
    }

    /// <summary>"type" and the fields of one value (the document's, or a hashtable entry's).</summary>
    private static void WriteBody(Utf8JsonWriter writer, SecretContent value, string secretName)
    {
        writer.WriteString("type", Record(value.Type));
        switch (value.Type)
        {
            case SecretType.String or SecretType.SecureString:
                WriteSecret(writer, "value", value.Text!, secretName);
                break;
            case SecretType.ByteArray:
                writer.WriteBase64String("value", value.Bytes!);
                break;
            case SecretType.PSCredential:
                writer.WriteString("userName", value.UserName);
                WriteSecret(writer, "password", value.Text!, secretName);
                break;
            case SecretType.Hashtable:
                break;
            default:
                throw new InvalidOperationException($"No stored form for {value.Type}.");
        }
    }

    private static void WriteSecret(Utf8JsonWriter writer, string property, SecureString text, string secretName)
    {
        // Strict UTF-8 first: an unpaired surrogate is InvalidSecretValue, as for a text secret.
        var utf8 = SecretValue.ToUtf8(text, secretName);
        try
        {
            writer.WriteString(property, utf8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    /// <summary>Reads a stored form of <paramref name="type"/>. InvalidSecretValue when it is not one.</summary>
    internal static SecretContent Decode(SecretType type, ReadOnlySpan<byte> stored, string secretName)
    {
        if (IsText(type))
        {
            if (!Utf8.IsValid(stored))
            {
                throw VaultErrors.InvalidSecretValue(secretName, "it is not valid UTF-8.");
            }

            return FromText(SecretValue.ToSecureString(stored), type);
        }

        try
        {
            var reader = new Utf8JsonReader(stored);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("an object");
            }

            var (_, content) = ReadValue(ref reader, topLevel: true, secretName);
            if (reader.Read() || content.Type != type)
            {
                throw new JsonException("trailing data or another type");
            }

            return content;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw VaultErrors.InvalidSecretValue(secretName, $"it is not the stored form of a {type} that this version of Vault reads.");
        }
    }

    /// <summary>One value (the document, or a hashtable entry with its key), the reader on its StartObject.</summary>
    private static (string? Key, SecretContent Content) ReadValue(ref Utf8JsonReader reader, bool topLevel, string secretName)
    {
        int? version = null;
        string? typeName = null, userName = null, key = null;
        SecureString? text = null;
        byte[]? bytes = null;
        List<KeyValuePair<string, SecretContent>>? entries = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "v" when topLevel && version is null: version = reader.GetInt32(); break;
                case "key" when !topLevel && key is null: key = reader.GetString() ?? throw new JsonException("key"); break;
                case "type" when typeName is null: typeName = reader.GetString() ?? throw new JsonException("type"); break;
                case "userName" when userName is null: userName = reader.GetString() ?? throw new JsonException("userName"); break;
                case "password" when text is null: text = ReadSecret(ref reader); break;
                case "value" when typeName is not null && text is null && bytes is null:
                    if (typeName == nameof(SecretType.ByteArray))
                    {
                        bytes = reader.GetBytesFromBase64();
                    }
                    else
                    {
                        text = ReadSecret(ref reader);
                    }

                    break;
                case "entries" when topLevel && entries is null:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new JsonException("entries");
                    }

                    entries = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var (entryKey, entry) = ReadValue(ref reader, topLevel: false, secretName);
                        entries.Add(new(entryKey!, entry));
                    }

                    if (reader.TokenType != JsonTokenType.EndArray)
                    {
                        throw new JsonException("entries");
                    }

                    break;
                default:
                    throw new JsonException("unexpected property");
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || typeName is null || (topLevel && version != FormatVersion) || (!topLevel && key is null))
        {
            throw new JsonException("version, type or key");
        }

        var type = Recorded(typeName);
        var content = type switch
        {
            SecretType.ByteArray when bytes is not null && text is null && userName is null && entries is null => FromBytes(bytes),
            SecretType.PSCredential when text is not null && userName is not null && bytes is null && entries is null => FromCredential(userName, text),
            SecretType.String or SecretType.SecureString when !topLevel && text is not null && userName is null && bytes is null && entries is null => FromText(text, type),
            SecretType.Hashtable when topLevel && entries is not null && text is null && userName is null && bytes is null => FromHashtable(entries, secretName),
            _ => throw new JsonException("fields of the type"),
        };
        return (key, content);
    }

    /// <summary>A JSON string read straight into a SecureString; the unescaped UTF-8 is zeroed.</summary>
    private static SecureString ReadSecret(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("a string");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(reader.ValueSpan.Length, 1));
        var length = 0;
        try
        {
            length = reader.CopyString(buffer);
            if (!Utf8.IsValid(buffer.AsSpan(0, length)))
            {
                throw new JsonException("UTF-8");
            }

            return SecretValue.ToSecureString(buffer.AsSpan(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, Math.Max(length, reader.ValueSpan.Length)));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
