using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Remove-VaultRoleAssignment: takes a role away; the last Vault Administrator at / stays.</summary>
[Cmdlet(VerbsCommon.Remove, "VaultRoleAssignment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByFields)]
[OutputType(typeof(VaultRoleAssignment))]
public sealed class RemoveVaultRoleAssignmentCommand : VaultCmdlet
{
    private const string ByFields = "ByRoleAndPrincipal";
    private const string ById = "ById";

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The assignment's id (from Get-VaultRoleAssignment).</summary>
    [Parameter(ParameterSetName = ById, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public Guid Id { get; set; }

    /// <summary>The role of the assignment.</summary>
    [Parameter(ParameterSetName = ByFields, Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(Completion.RoleNameCompleter))]
    public string RoleDefinitionName { get; set; } = string.Empty;

    /// <summary>The principal of the assignment: a name, or an id (uid:N, gid:N, a SID, app:name).</summary>
    [Parameter(ParameterSetName = ByFields, Mandatory = true)]
    [Alias("PrincipalId")]
    [ArgumentCompleter(typeof(Completion.PrincipalNameCompleter))]
    public string PrincipalName { get; set; } = string.Empty;

    /// <summary>The scope of the assignment; / when omitted.</summary>
    [Parameter(ParameterSetName = ByFields)]
    public string Scope { get; set; } = "/";

    /// <summary>Removes without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the removed assignment to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var assignment = ParameterSetName == ById
            ? vault.FindRoleAssignment(Id)
            : vault.FindRoleAssignment(RoleDefinitionName, PrincipalName, Scope);
        if (!ShouldProcess(vault.VaultName, $"Remove the assignment of '{assignment.RoleDefinitionName}' to {assignment.PrincipalName ?? assignment.PrincipalId} at '{assignment.Scope}'", Force))
        {
            return;
        }

        var removed = vault.RemoveRoleAssignment(assignment.Id);
        if (PassThru)
        {
            WriteObject(removed);
        }
    });
}
