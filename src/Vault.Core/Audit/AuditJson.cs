using System.Text.Json.Serialization;

namespace Vault.Core.Audit;

[JsonSerializable(typeof(SortedDictionary<string, string>))]
internal sealed partial class AuditJson : JsonSerializerContext;
