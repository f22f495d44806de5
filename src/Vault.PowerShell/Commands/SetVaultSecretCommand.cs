using System.Collections;
using System.Management.Automation;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Set-VaultSecret: stores a new version of a secret.</summary>
[Cmdlet(VerbsCommon.Set, "VaultSecret", SupportsShouldProcess = true)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class SetVaultSecretCommand : VaultSecretCmdlet
{
    /// <summary>The value: a SecureString (a PSCredential or a string is accepted too). At most 25 KiB of UTF-8.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [SecretValueTransformation]
    public SecureString SecretValue { get; set; } = null!;

    /// <summary>What the value holds; carried forward from the latest version when omitted.</summary>
    [Parameter]
    public string? ContentType { get; set; }

    /// <summary>Tags (at most 15); carried forward from the latest version when omitted.</summary>
    [Parameter]
    [Alias("Tags")]
    public Hashtable? Tag { get; set; }

    /// <summary>The version is not valid before this time.</summary>
    [Parameter]
    public DateTime? NotBefore { get; set; }

    /// <summary>The version expires at this time.</summary>
    [Parameter]
    public DateTime? Expires { get; set; }

    /// <summary>Stores the version disabled: it cannot be read until enabled.</summary>
    [Parameter]
    public SwitchParameter Disable { get; set; }

    /// <summary>Writes the new version's properties (never its value) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        Try(() =>
        {
            var vault = OpenSecretVault();
            if (SecretValueTransformationAttribute.OversizeBytes(SecretValue) is { } bytes)
            {
                throw VaultErrors.SecretValueTooLarge(Name, bytes);
            }

            if (!ShouldProcess(VaultSecretId.Format(vault.VaultName, Name), "Set secret (a new version)"))
            {
                return;
            }

            var options = new SecretSetOptions
            {
                ContentType = MyInvocation.BoundParameters.ContainsKey(nameof(ContentType)) ? ContentType ?? string.Empty : null,
                Tags = MyInvocation.BoundParameters.ContainsKey(nameof(Tag)) ? Tag ?? new Hashtable() : null,
                NotBefore = NotBefore,
                Expires = Expires,
                Enabled = !Disable.IsPresent,
            };
            var properties = vault.SetSecret(Name, SecretValue, options);
            WriteVerbose($"Stored version {properties.Version} of secret '{properties.Name}'.");
            if (PassThru)
            {
                WriteObject(properties);
            }
        });
    }
}
