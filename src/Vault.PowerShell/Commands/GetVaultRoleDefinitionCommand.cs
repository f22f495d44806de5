using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Get-VaultRoleDefinition: the built-in roles and the vault's custom roles.</summary>
[Cmdlet(VerbsCommon.Get, "VaultRoleDefinition")]
[OutputType(typeof(VaultRoleDefinition))]
public sealed class GetVaultRoleDefinitionCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>A role name or wildcard; every role when omitted.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [Alias("RoleDefinitionName")]
    [ArgumentCompleter(typeof(Completion.RoleNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        foreach (var role in OpenVault(VaultName).GetRoleDefinitions(NamePattern.Parse(Name)))
        {
            WriteObject(role);
        }
    });
}
