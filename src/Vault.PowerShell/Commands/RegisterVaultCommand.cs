using System.Management.Automation;

namespace Vault.PowerShell.Commands;

/// <summary>Register-Vault: makes an existing vault file known to the current user, without changing it.</summary>
[Cmdlet(VerbsLifecycle.Register, "Vault", SupportsShouldProcess = true)]
[OutputType(typeof(VaultInfo))]
public sealed class RegisterVaultCommand : VaultCmdlet
{
    /// <summary>The vault file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = string.Empty;

    /// <summary>The name to know it by; the name it was created with when omitted.</summary>
    [Parameter(Position = 1)]
    [Alias("VaultName")]
    public string? Name { get; set; }

    /// <summary>Writes the registered vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        if (!ShouldProcess(path, "Register vault"))
        {
            return;
        }

        Try(() =>
        {
            var info = Manager.RegisterVault(path, Name);
            if (PassThru)
            {
                WriteObject(info);
            }
        });
    }
}
