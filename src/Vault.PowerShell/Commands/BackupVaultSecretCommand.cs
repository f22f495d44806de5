using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Backup-VaultSecret: writes every version of a secret, with its attributes, to one encrypted and
/// authenticated file that only a vault sharing this vault's keyring can restore.
/// </summary>
[Cmdlet(VerbsData.Backup, "VaultSecret", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class BackupVaultSecretCommand : VaultSecretCmdlet
{
    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    public string OutputFile { get; set; } = string.Empty;

    /// <summary>Overwrites the file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenSecretVault();
        var path = ResolvePath(OutputFile);
        if (!OutputFolderExists(path))
        {
            return;
        }

        if (!ShouldProcess(VaultSecretId.Format(vault.VaultName, Name), $"Back up secret to '{path}'"))
        {
            return;
        }

        if (!CanWriteOutput(path, Force))
        {
            return;
        }

        WriteFile(path, vault.BackupSecret(Name));
    });
}
