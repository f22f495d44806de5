using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Vault.Core.Crypto;
using Vault.Core.Resources;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>
/// The backup blob of one secret: every version with its attributes, sealed under a key derived
/// from one keyring term, so only a vault holding that keyring can restore it.
/// <code>
/// "VAULTBAK" ‖ format (1) ‖ keyring id (16) ‖ term (4, big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
/// </code>
/// The key is HKDF-SHA256(term key, salt = keyring id, info = "vault-backup/v1" ‖ keyring id ‖ term);
/// the header is the associated data. The ciphertext holds a JSON document whose values are base64.
/// </summary>
internal static class SecretBackup
{
    private const byte Format = 1;
    private static readonly byte[] Magic = "VAULTBAK"u8.ToArray();
    private static readonly int HeaderSize = Magic.Length + 1 + 16 + 4;

    internal sealed record Version(VersionRow Attributes, byte[] Value);

    public static byte[] Seal(Keyring keyring, string name, IReadOnlyList<Version> versions)
    {
        var term = keyring.ActiveTerm;
        var header = Header(keyring.KeyringId, term);
        var payload = WritePayload(name, versions);
        var key = DeriveKey(keyring, term);
        try
        {
            var sealedPayload = Aead.Seal(key, payload.WrittenSpan, header);
            var blob = new byte[header.Length + sealedPayload.Length];
            header.CopyTo(blob, 0);
            sealedPayload.CopyTo(blob, header.Length);
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            payload.Clear();
        }
    }

    /// <summary>Opens a blob made by <see cref="Seal"/>. Values in the result must be zeroed by the caller.</summary>
    public static (string Name, List<Version> Versions) Open(Keyring keyring, ReadOnlySpan<byte> blob, string source)
    {
        if (blob.Length < HeaderSize + Aead.Overhead || !blob[..Magic.Length].SequenceEqual(Magic) || blob[Magic.Length] != Format)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupNotABackup);
        }

        var keyringId = new Guid(blob.Slice(Magic.Length + 1, 16), bigEndian: true);
        var term = BinaryPrimitives.ReadInt32BigEndian(blob.Slice(Magic.Length + 17, 4));
        if (keyringId != keyring.KeyringId)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupOtherKeyring);
        }

        if (!keyring.Contains(term))
        {
            throw VaultErrors.BackupInvalid(source, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.BackupUnknownTerm, term));
        }

        var key = DeriveKey(keyring, term);
        byte[] payload;
        try
        {
            payload = Aead.Open(key, blob[HeaderSize..], blob[..HeaderSize]);
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.BackupInvalid(source, Messages.BackupDamaged, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        try
        {
            return ReadPayload(payload);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw VaultErrors.BackupInvalid(source, string.Format(System.Globalization.CultureInfo.InvariantCulture, Messages.BackupMalformed, ex.GetType().Name), ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    private static byte[] Header(Guid keyringId, int term)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        header[Magic.Length] = Format;
        keyringId.TryWriteBytes(header.AsSpan(Magic.Length + 1), bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(Magic.Length + 17), term);
        return header;
    }

    private static byte[] DeriveKey(Keyring keyring, int term)
    {
        var key = new byte[Aead.KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, keyring.Key(term), key, keyring.KeyringId.ToByteArray(bigEndian: true), AssociatedData.ForBackup(keyring.KeyringId, term));
        return key;
    }

    /// <summary>A buffer that is zeroed when cleared, sized up front so it never regrows (and leaves copies).</summary>
    private sealed class ZeroingBuffer(int capacity) : IBufferWriter<byte>
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
        string? version = null, contentType = null, tags = null;
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
