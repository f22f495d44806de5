using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Remove-VaultRoleDefinition: removes a custom role; refused for built-in roles and while the role is assigned.</summary>
[Cmdlet(VerbsCommon.Remove, "VaultRoleDefinition", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveVaultRoleDefinitionCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The role's name.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RoleDefinitionName")]
    [ArgumentCompleter(typeof(Completion.RoleNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Removes without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var name = vault.FindRoleDefinitionForRemoval(Name);
        if (ShouldProcess(vault.VaultName, $"Remove role '{name}'", Force))
        {
            vault.RemoveRoleDefinition(Name);
        }
    });
}
