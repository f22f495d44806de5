using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Get-VaultRoleAssignment: who holds which role at which scope of a vault.</summary>
[Cmdlet(VerbsCommon.Get, "VaultRoleAssignment")]
[OutputType(typeof(VaultRoleAssignment))]
public sealed class GetVaultRoleAssignmentCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>Only the assignments of this principal (its name or id).</summary>
    [Parameter]
    [Alias("PrincipalId")]
    [ArgumentCompleter(typeof(Completion.PrincipalNameCompleter))]
    public string? PrincipalName { get; set; }

    /// <summary>Only the assignments at this scope.</summary>
    [Parameter]
    public string? Scope { get; set; }

    /// <summary>Only the assignments of this role.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.RoleNameCompleter))]
    public string? RoleDefinitionName { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        foreach (var assignment in OpenVault(VaultName).GetRoleAssignments(PrincipalName, Scope, RoleDefinitionName))
        {
            WriteObject(assignment);
        }
    });
}
