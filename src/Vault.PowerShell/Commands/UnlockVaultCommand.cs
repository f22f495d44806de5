using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Unlock-Vault: opens a vault's keyring now and, for a PKCS#11 vault, keeps the token PIN for this
/// session, so later commands need none. Without -Pin, an interactive session is asked for it.
/// </summary>
[Cmdlet(VerbsCommon.Unlock, "Vault")]
[OutputType(typeof(VaultInfo))]
public sealed class UnlockVaultCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The token's user PIN.</summary>
    [Parameter(Position = 1)]
    public SecureString? Pin { get; set; }

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        VaultInfo info;
        try
        {
            info = Manager.Unlock(VaultName, Pin, Request);
        }
        catch (VaultException ex) when (ex.ErrorId == "KeyProtectorLocked" && Pin is null && AskForPin(ex) is { } pin)
        {
            info = Manager.Unlock(VaultName, pin, Request);
        }

        if (PassThru)
        {
            WriteObject(info);
        }
    });

    /// <summary>Asks an interactive user for the PIN; a non-interactive session gets the error instead of a wait.</summary>
    private SecureString? AskForPin(VaultException locked)
    {
        try
        {
            // Prompt, unlike writing a question and reading a line, shows nothing where it cannot ask.
            var field = new FieldDescription("PIN");
            field.SetParameterType(typeof(SecureString));
            var answers = Host.UI.Prompt("Unlock-Vault", $"PIN for the token of vault '{locked.Target}'", [field]);
            return answers.TryGetValue("PIN", out var value) ? value?.BaseObject as SecureString : null;
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or HostException or NotImplementedException or InvalidOperationException)
        {
            return null;
        }
    }
}
