using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Restore-VaultSecret: brings back a secret from a Backup-VaultSecret file, all versions and attributes.</summary>
[Cmdlet(VerbsData.Restore, "VaultSecret", SupportsShouldProcess = true)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class RestoreVaultSecretCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The backup file.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Path")]
    public string InputFile { get; set; } = string.Empty;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var path = ResolvePath(InputFile);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            WriteError(new ErrorRecord(
                new FileNotFoundException($"The backup file '{path}' does not exist.", path),
                "BackupFileNotFound", ErrorCategory.ObjectNotFound, path));
            return;
        }

        using var blob = file.OpenRead();
        // Before -WhatIf reports, as names are checked: a file no backup can be is refused.
        SecretRules.ValidateBackupSize(blob.Length, path);

        if (ShouldProcess(vault.VaultName, $"Restore secret from '{path}'"))
        {
            WriteObject(vault.RestoreSecret(blob, path));
        }
    });
}
