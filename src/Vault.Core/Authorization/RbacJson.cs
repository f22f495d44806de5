using System.Text.Json.Serialization;

namespace Vault.Core.Authorization;

[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(AzureRoleDefinition))]
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
internal sealed partial class RbacJson : JsonSerializerContext;

/// <summary>The shape of an Azure role definition file; Vault reads Name, Description, DataActions and NotDataActions.</summary>
internal sealed record AzureRoleDefinition
{
    public string? Name { get; init; }

    public string? Description { get; init; }

    public string[]? Actions { get; init; }

    public string[]? NotActions { get; init; }

    public string[]? DataActions { get; init; }

    public string[]? NotDataActions { get; init; }

    public string[]? AssignableScopes { get; init; }
}
