using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Backup-VaultSecret: writes every version of a secret, with its attributes, to one encrypted and
/// authenticated file that only a vault sharing this vault's keyring can restore; or, for many
/// secrets, one such file each into a folder.
/// </summary>
[Cmdlet(VerbsData.Backup, "VaultSecret", SupportsShouldProcess = true, DefaultParameterSetName = ToFile)]
[OutputType(typeof(FileInfo))]
public sealed class BackupVaultSecretCommand : VaultSecretCmdlet
{
    private const string ToFile = "ToFile";
    private const string ToFolder = "ToFolder";

    /// <summary>The id of the first secret this pipeline backed up, which -OutputFile holds.</summary>
    private string? firstSecret;

    /// <summary>The file to write: for one secret.</summary>
    [Parameter(ParameterSetName = ToFile, Mandatory = true, Position = 2)]
    public string OutputFile { get; set; } = string.Empty;

    /// <summary>The folder to write one file per secret into, each named &lt;vault&gt;.&lt;secret&gt;.blob.</summary>
    [Parameter(ParameterSetName = ToFolder, Mandatory = true)]
    public string OutputFolder { get; set; } = string.Empty;

    /// <summary>Overwrites a file that exists from before this command (never one it wrote itself).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The name of a secret's file in -OutputFolder. Neither name can hold a dot, so no two secrets share a file.</summary>
    internal static string FileName(string vaultName, string secretName) => $"{vaultName}.{secretName}.blob";

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenSecretVault();
        if (!FirstInPipeline(vault))
        {
            return;
        }

        var id = VaultSecretId.Format(vault.VaultName, Name);
        if (ParameterSetName == ToFile && SecretsMet > 1)
        {
            // Refused before anything is written: the first secret's file stays as it was written.
            ThrowArgumentError("OutputFileForManySecrets",
                $"-OutputFile '{ResolvePath(OutputFile)}' holds the backup of one secret, '{firstSecret}', and a second one, '{id}', came down the pipeline. "
                + "Nothing more was written. To back up many secrets, give -OutputFolder instead: each secret gets a file of its own there.",
                id);
        }

        firstSecret ??= id;
        var name = vault.FindSecretFor(SecretChange.Backup, Name);
        var path = ParameterSetName == ToFolder ? Path.Combine(ResolvePath(OutputFolder), FileName(vault.VaultName, name)) : ResolvePath(OutputFile);
        var parameter = ParameterSetName == ToFolder ? "-OutputFolder" : "-OutputFile";
        if (!OutputFolderExists(path, parameter))
        {
            return;
        }

        if (!ShouldProcess(VaultSecretId.Format(vault.VaultName, name), $"Back up secret to '{path}'"))
        {
            return;
        }

        if (!CanWriteOutput(path, Force, parameter))
        {
            return;
        }

        WriteFile(path, vault.BackupSecret(Name));
    });
}
