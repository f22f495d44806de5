using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>New-VaultRoleDefinition: a custom role, from its actions or from a file shaped like an Azure role definition.</summary>
[Cmdlet(VerbsCommon.New, "VaultRoleDefinition", SupportsShouldProcess = true, DefaultParameterSetName = ByActions)]
[OutputType(typeof(VaultRoleDefinition))]
public sealed class NewVaultRoleDefinitionCommand : VaultCmdlet
{
    private const string ByActions = "ByActions";
    private const string ByFile = "ByFile";

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The role's name.</summary>
    [Parameter(ParameterSetName = ByActions, Mandatory = true, Position = 1)]
    public string Name { get; set; } = string.Empty;

    /// <summary>The actions the role grants; wildcards allowed (Vault/secrets/*).</summary>
    [Parameter(ParameterSetName = ByActions, Mandatory = true)]
    public string[] DataActions { get; set; } = [];

    /// <summary>The actions it excludes from those.</summary>
    [Parameter(ParameterSetName = ByActions)]
    public string[] NotDataActions { get; set; } = [];

    /// <summary>What the role is for.</summary>
    [Parameter(ParameterSetName = ByActions)]
    public string? Description { get; set; }

    /// <summary>A JSON file shaped like an Azure role definition: Name, Description, DataActions, NotDataActions.</summary>
    [Parameter(ParameterSetName = ByFile, Mandatory = true)]
    public string InputFile { get; set; } = string.Empty;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        if (ParameterSetName == ByFile)
        {
            var path = ResolvePath(InputFile);
            if (!File.Exists(path))
            {
                WriteError(new ErrorRecord(new FileNotFoundException($"The role definition file '{path}' does not exist.", path), "RoleDefinitionFileNotFound", ErrorCategory.ObjectNotFound, path));
                return;
            }

            if (ShouldProcess(vault.VaultName, $"Create a role from '{path}'"))
            {
                WriteObject(vault.NewRoleDefinitionFromJson(File.ReadAllText(path), path));
            }

            return;
        }

        // Bad actions are refused before -WhatIf reports what would be done.
        VaultService.CheckActions(Name, DataActions, nameof(DataActions));
        VaultService.CheckActions(Name, NotDataActions, nameof(NotDataActions));
        if (ShouldProcess(vault.VaultName, $"Create role '{Name}'"))
        {
            WriteObject(vault.NewRoleDefinition(Name, Description, DataActions, NotDataActions));
        }
    });
}
