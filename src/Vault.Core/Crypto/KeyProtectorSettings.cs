using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vault.Core.Crypto;

/// <summary>What the vault file records about its key protector: its kind and how to find the root key.</summary>
internal sealed record KeyProtectorSettings
{
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, SettingsJson.Default.KeyProtectorSettings);

    public static KeyProtectorSettings FromJson(string json) =>
        JsonSerializer.Deserialize(json, SettingsJson.Default.KeyProtectorSettings)
        ?? throw new JsonException("empty key protector settings");
}

[JsonSerializable(typeof(KeyProtectorSettings))]
internal sealed partial class SettingsJson : JsonSerializerContext;
