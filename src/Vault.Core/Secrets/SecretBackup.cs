using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// What a secret's backup holds: every version with its attributes and value, as a JSON document
/// whose values are base64. The barrier seals it (<c>Crypto/BackupSeal</c>: bound to the keyring,
/// so only a vault holding that keyring can restore it); this is only the document.
/// </summary>
internal static class SecretBackup
{
    internal sealed record Version(VersionRow Attributes, byte[] Value);

    /// <summary>The document of a secret's versions, in a buffer the caller clears (zeroes).</summary>
    public static ZeroingBuffer Write(string name, IReadOnlyList<Version> versions) => WritePayload(name, versions);

    /// <summary>Reads a document made by <see cref="Write"/>. Values in the result must be zeroed by the caller.</summary>
    public static (string Name, List<Version> Versions) Read(byte[] payload, string source)
    {
        try
        {
            return ReadPayload(payload);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw VaultErrors.BackupInvalid(source, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.BackupMalformed, ex.GetType().Name), ex);
        }
    }

    /// <summary>A buffer that is zeroed when cleared, sized up front so it never regrows (and leaves copies).</summary>
    internal sealed class ZeroingBuffer(int capacity) : IBufferWriter<byte>
    {
        private byte[] buffer = new byte[capacity];
        private int written;

        public ReadOnlySpan<byte> WrittenSpan => buffer.AsSpan(0, written);

        public void Advance(int count) => written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(written);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(written);

        public void Clear()
        {
            CryptographicOperations.ZeroMemory(buffer);
            written = 0;
        }

        private byte[] Ensure(int sizeHint)
        {
            if (buffer.Length - written < Math.Max(sizeHint, 1))
            {
                var larger = new byte[Math.Max(buffer.Length * 2, written + sizeHint)];
                buffer.AsSpan(0, written).CopyTo(larger);
                CryptographicOperations.ZeroMemory(buffer);
                buffer = larger;
            }

            return buffer;
        }
    }

    private static ZeroingBuffer WritePayload(string name, IReadOnlyList<Version> versions)
    {
        var capacity = 1024 + versions.Sum(v => (v.Value.Length * 4 / 3) + 1024 + (v.Attributes.Tags?.Length ?? 0) * 2);
        var buffer = new ZeroingBuffer(capacity);
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteStartArray("versions");
        foreach (var (row, value) in versions)
        {
            writer.WriteStartObject();
            writer.WriteString("version", row.Version);
            writer.WriteNumber("created", row.Created);
            writer.WriteNumber("updated", row.Updated);
            writer.WriteBoolean("enabled", row.Enabled);
            WriteNullable(writer, "notBefore", row.NotBefore);
            WriteNullable(writer, "expires", row.Expires);
            writer.WriteString("contentType", row.ContentType);
            writer.WriteString("tags", row.Tags);
            if (row.SecretType is not null)
            {
                // Only when recorded: a backup of text versions is what it was before types existed.
                writer.WriteString("secretType", row.SecretType);
            }

            writer.WriteBase64String("value", value);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return buffer;
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static (string Name, List<Version> Versions) ReadPayload(byte[] payload)
    {
        var reader = new Utf8JsonReader(payload);
        string? name = null;
        var versions = new List<Version>();
        try
        {
            Expect(ref reader, JsonTokenType.StartObject);
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var property = reader.GetString();
                reader.Read();
                switch (property)
                {
                    case "name":
                        name = reader.GetString();
                        break;
                    case "versions":
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new JsonException("versions");
                        }

                        while (Next(ref reader) == JsonTokenType.StartObject)
                        {
                            versions.Add(ReadVersion(ref reader));
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (name is null || versions.Count == 0)
            {
                throw new JsonException("name or versions missing");
            }

            return (name, versions);
        }
        catch
        {
            foreach (var v in versions)
            {
                CryptographicOperations.ZeroMemory(v.Value);
            }

            throw;
        }
    }

    private static Version ReadVersion(ref Utf8JsonReader reader)
    {
        string? version = null, contentType = null, tags = null, secretType = null;
        long created = 0, updated = 0;
        long? notBefore = null, expires = null;
        var enabled = true;
        byte[]? value = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "version": version = reader.GetString(); break;
                case "created": created = reader.GetInt64(); break;
                case "updated": updated = reader.GetInt64(); break;
                case "enabled": enabled = reader.GetBoolean(); break;
                case "notBefore": notBefore = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64(); break;
                case "expires": expires = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64(); break;
                case "contentType": contentType = reader.GetString(); break;
                case "tags": tags = reader.GetString(); break;
                case "secretType": secretType = reader.GetString(); break;
                case "value": value = reader.GetBytesFromBase64(); break;
                default: reader.Skip(); break;
            }
        }

        if (version is null || value is null)
        {
            throw new JsonException("version or value missing");
        }

        var row = new VersionRow
        {
            Version = version,
            Created = created,
            Updated = updated,
            Enabled = enabled,
            NotBefore = notBefore,
            Expires = expires,
            ContentType = contentType,
            Tags = tags,
            SecretType = secretType,
        };
        return new Version(row, value);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("unexpected end");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new JsonException($"expected {type}");
        }
    }
}
