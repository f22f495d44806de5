using System.Collections;
using System.Text.Json;

namespace Vault.Core;

/// <summary>Tags as stored: a JSON object of strings, keys sorted, or null for none.</summary>
internal static class TagsJson
{
    public static string? Serialize(SortedDictionary<string, string> tags) =>
        tags.Count == 0 ? null : JsonSerializer.Serialize(tags, CoreJson.Default.SortedDictionaryStringString);

    public static Hashtable ToHashtable(string? json)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        if (json is null)
        {
            return table;
        }

        foreach (var (key, value) in JsonSerializer.Deserialize(json, CoreJson.Default.SortedDictionaryStringString) ?? [])
        {
            table[key] = value;
        }

        return table;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(SortedDictionary<string, string>))]
internal sealed partial class CoreJson : System.Text.Json.Serialization.JsonSerializerContext;
