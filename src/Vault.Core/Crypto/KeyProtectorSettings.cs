using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vault.Core.Crypto;

/// <summary>
/// What the vault file records about its key protector: its kind and how to find the root key again.
/// Never a secret: no key, no PIN.
/// </summary>
internal sealed record KeyProtectorSettings
{
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>Software: HMAC of a fixed label under the root key, to tell the right key file from a stale one.</summary>
    [JsonPropertyName("keyCheck")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KeyCheck { get; init; }

    /// <summary>Pkcs11: the library's path.</summary>
    [JsonPropertyName("library")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Library { get; init; }

    [JsonPropertyName("tokenLabel")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TokenLabel { get; init; }

    [JsonPropertyName("tokenSerial")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TokenSerial { get; init; }

    [JsonPropertyName("keyLabel")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KeyLabel { get; init; }

    /// <summary>Pkcs11: the root key's CKA_ID, hex.</summary>
    [JsonPropertyName("keyId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KeyId { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, SettingsJson.Default.KeyProtectorSettings);

    public static KeyProtectorSettings FromJson(string json) =>
        JsonSerializer.Deserialize(json, SettingsJson.Default.KeyProtectorSettings)
        ?? throw new JsonException("empty key protector settings");
}

[JsonSerializable(typeof(KeyProtectorSettings))]
internal sealed partial class SettingsJson : JsonSerializerContext;
