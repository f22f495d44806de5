using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Test-VaultAccess: whether a principal (with its groups) may do an action at a scope, and why.</summary>
[Cmdlet(VerbsDiagnostic.Test, "VaultAccess")]
[OutputType(typeof(VaultAccessDecision))]
public sealed class TestVaultAccessCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The user to test, by name or id; the caller when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PrincipalId")]
    [ArgumentCompleter(typeof(Completion.PrincipalNameCompleter))]
    public string? PrincipalName { get; set; }

    /// <summary>The action, such as Vault/secrets/getSecret/action.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(Completion.ActionCompleter))]
    public string Action { get; set; } = string.Empty;

    /// <summary>The scope: / or /secrets/&lt;name&gt;.</summary>
    [Parameter(Position = 2)]
    public string Scope { get; set; } = "/";

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        WriteObject(OpenVault(VaultName).TestAccess(PrincipalName, Action, Scope));
    });
}
