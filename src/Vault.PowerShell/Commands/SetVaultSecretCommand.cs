using System.Collections;
using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Set-VaultSecret: stores a new version of a secret, from a value (-SecretValue) or as a copy of a
/// secret read from this or another vault (-InputObject, which Get-VaultSecret pipes).
/// </summary>
[Cmdlet(VerbsCommon.Set, "VaultSecret", SupportsShouldProcess = true, DefaultParameterSetName = ByValue)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class SetVaultSecretCommand : VaultSecretCmdlet
{
    private const string ByValue = "ByValue";
    private const string ByInputObject = "ByInputObject";

    /// <summary>
    /// The value: a SecureString, a string, a byte array, a PSCredential, or a hashtable whose values
    /// are any of those but a hashtable. Stored as the type it is, at most 25 KiB as stored.
    /// </summary>
    [Parameter(Mandatory = true, Position = 2, ParameterSetName = ByValue)]
    [SecretValueTransformation]
    public object SecretValue { get; set; } = null!;

    /// <summary>
    /// A secret read with Get-VaultSecret: its value, as the type it was set as, becomes the new
    /// version, with its content type, tags and dates unless those are given too.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    public VaultSecret InputObject { get; set; } = null!;

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
            var copy = ParameterSetName == ByInputObject ? InputObject : null;
            var content = copy is null
                ? SecretValues.ToContent(SecretValue, Name)
                : SecretContent.FromStored(copy.SecretValue, copy.SecretType, Name);
            if (!ShouldProcess(VaultSecretId.Format(vault.VaultName, Name), "Set secret (a new version)"))
            {
                return;
            }

            var bound = MyInvocation.BoundParameters;
            var options = new SecretSetOptions
            {
                ContentType = bound.ContainsKey(nameof(ContentType)) ? ContentType ?? string.Empty : copy is null ? null : copy.ContentType ?? string.Empty,
                Tags = bound.ContainsKey(nameof(Tag)) ? Tag ?? new Hashtable() : copy?.Tags,
                NotBefore = bound.ContainsKey(nameof(NotBefore)) ? NotBefore : copy?.NotBefore,
                Expires = bound.ContainsKey(nameof(Expires)) ? Expires : copy?.Expires,
                Enabled = !Disable.IsPresent && (copy?.Enabled ?? true),
            };
            var properties = vault.SetSecret(Name, content, options);
            WriteVerbose($"Stored version {properties.Version} of secret '{properties.Name}' ({properties.SecretType}).");
            if (PassThru)
            {
                WriteObject(properties);
            }
        });
    }
}
