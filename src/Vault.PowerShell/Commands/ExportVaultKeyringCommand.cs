using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell.Commands;

/// <summary>Export-VaultKeyring: writes the vault's keyring wrapped under a password, for recovery with Import-VaultKeyring.</summary>
[Cmdlet(VerbsData.Export, "VaultKeyring", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportVaultKeyringCommand : VaultCmdlet
{
    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string OutputFile { get; set; } = string.Empty;

    /// <summary>The password the keyring is wrapped under (at least 8 characters; PBKDF2-HMAC-SHA512).</summary>
    [Parameter(Mandatory = true)]
    public SecureString Password { get; set; } = null!;

    /// <summary>Overwrites the file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var vault = OpenVault(VaultName);
        var path = ResolvePath(OutputFile);
        if (!OutputFolderExists(path))
        {
            return;
        }

        if (!ShouldProcess(vault.VaultName, $"Export the keyring to '{path}'"))
        {
            return;
        }

        if (!CanWriteOutput(path, Force))
        {
            return;
        }

        WriteFile(path, vault.ExportKeyring(Password));
    });
}
