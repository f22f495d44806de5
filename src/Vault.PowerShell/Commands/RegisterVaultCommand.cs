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

    /// <summary>
    /// The PKCS#11 library you trust for a vault whose root key is in a token: the only library Vault
    /// loads for it (besides the machine-wide list). The path the vault file names is never trusted by itself.
    /// </summary>
    [Parameter]
    public string? Pkcs11Library { get; set; }

    /// <summary>Replaces a registration of the same name or file: to trust a vault again after an intended change, or to trust its library.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes the registered vault to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        Try(() =>
        {
            // Before -WhatIf reports, as the registration would: a missing file, a bad name, one registered already.
            Manager.CheckRegistration(path, Name, Force);
            if (!ShouldProcess(path, "Register vault"))
            {
                return;
            }

            var info = Manager.RegisterVault(path, Name, Pkcs11Library is null ? null : ResolvePath(Pkcs11Library), Force);
            if (PassThru)
            {
                WriteObject(info);
            }
        });
    }
}
