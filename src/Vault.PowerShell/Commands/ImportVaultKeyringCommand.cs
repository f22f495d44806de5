using System.Management.Automation;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Import-VaultKeyring: puts a keyring exported with Export-VaultKeyring under a key protector (the
/// software key file by default, or a PKCS#11 token), without the vault's current one: the way back
/// after a lost key file or HSM.
/// </summary>
[Cmdlet(VerbsData.Import, "VaultKeyring", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(VaultInfo))]
public sealed class ImportVaultKeyringCommand : KeyProtectorCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The file Export-VaultKeyring wrote.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string InputFile { get; set; } = string.Empty;

    /// <summary>The password it was exported with.</summary>
    [Parameter(Mandatory = true)]
    public SecureString Password { get; set; } = null!;

    /// <summary>Imports without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var options = ProtectorOptions();
        var vault = OpenVault(VaultName);
        var path = ResolvePath(InputFile);
        if (!File.Exists(path))
        {
            WriteError(new ErrorRecord(new FileNotFoundException($"The keyring file '{path}' does not exist.", path), "KeyringFileNotFound", ErrorCategory.ObjectNotFound, path));
            return;
        }

        if (!ShouldProcess(vault.VaultName, $"Put the keyring from '{path}' under {(options.IsPkcs11 ? $"token '{options.TokenLabel}'" : "a new software key file")}", Force))
        {
            return;
        }

        vault.ImportKeyring(File.ReadAllBytes(path), Password, options, path);
        if (PassThru)
        {
            WriteObject(Manager.GetVault(vault.VaultName));
        }
    });
}
