using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Undo-VaultSecretRemoval: recovers a soft-deleted secret with all its versions.</summary>
[Cmdlet(VerbsCommon.Undo, "VaultSecretRemoval", SupportsShouldProcess = true)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class UndoVaultSecretRemovalCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The deleted secret.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("SecretName")]
    [ArgumentCompleter(typeof(Completion.SecretNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        SecretRules.ValidateSecretName(Name);
        var vault = OpenVault(VaultName);
        if (ShouldProcess(VaultSecretId.Format(vault.VaultName, Name), "Recover deleted secret"))
        {
            WriteObject(vault.RecoverSecret(Name));
        }
    });
}
