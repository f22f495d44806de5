using System.Management.Automation;
using Vault.Core;
using Vault.Core.Identity;

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
        var vault = OpenVault(VaultName);
        var subject = PrincipalName is null
            ? vault.Caller
            : OsIdentity.CallerFor(PrincipalName)
                ?? (Principal.IsId(PrincipalName)
                    ? new CallerContext(PrincipalParameters.Resolve(null, PrincipalName, null), [], OsIdentity.Authentication)
                    : throw VaultErrors.PrincipalNotFound(PrincipalName, VaultPrincipalType.User));
        WriteObject(vault.TestAccess(subject, Action, Scope));
    });
}
