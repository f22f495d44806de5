using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>New-VaultRoleAssignment: gives a role to a user, group or application at a scope of a vault.</summary>
[Cmdlet(VerbsCommon.New, "VaultRoleAssignment", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(VaultRoleAssignment))]
public sealed class NewVaultRoleAssignmentCommand : VaultCmdlet
{
    private const string ByName = "ByPrincipalName";
    private const string ById = "ByPrincipalId";

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The role to give, such as 'Vault Secrets User'.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(Completion.RoleNameCompleter))]
    public string RoleDefinitionName { get; set; } = string.Empty;

    /// <summary>The user or group name, as the operating system knows it.</summary>
    [Parameter(ParameterSetName = ByName, Mandatory = true)]
    [ArgumentCompleter(typeof(Completion.PrincipalNameCompleter))]
    public string PrincipalName { get; set; } = string.Empty;

    /// <summary>The principal's id: uid:N or gid:N (Linux, macOS), a SID (Windows), app:name.</summary>
    [Parameter(ParameterSetName = ById, Mandatory = true)]
    public string PrincipalId { get; set; } = string.Empty;

    /// <summary>User (the default for a name), Group or Application; for an id, its form says (gid: is a group).</summary>
    [Parameter]
    public VaultPrincipalType PrincipalType { get; set; } = VaultPrincipalType.User;

    /// <summary>/ (the whole vault; the default), /secrets/&lt;name&gt; or /secrets/&lt;prefix&gt;*.</summary>
    [Parameter]
    public string Scope { get; set; } = "/";

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var scope = VaultService.NormalizeScope(Scope);
        VaultPrincipalType? type = MyInvocation.BoundParameters.ContainsKey(nameof(PrincipalType)) ? PrincipalType : null;
        var principal = VaultService.ResolvePrincipal(ParameterSetName == ByName ? PrincipalName : null, ParameterSetName == ById ? PrincipalId : null, type);
        var role = vault.FindRoleForAssignment(RoleDefinitionName, principal.ToString(), Scope);
        if (ShouldProcess(vault.VaultName, $"Assign '{role}' to {principal} at '{scope}'"))
        {
            WriteObject(vault.NewRoleAssignment(RoleDefinitionName, principal, scope));
        }
    });
}
