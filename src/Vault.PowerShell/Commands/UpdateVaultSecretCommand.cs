using System.Collections;
using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>Update-VaultSecret: changes a version's attributes, never its value; makes no new version.</summary>
[Cmdlet(VerbsData.Update, "VaultSecret", SupportsShouldProcess = true)]
[OutputType(typeof(VaultSecretProperties))]
public sealed class UpdateVaultSecretCommand : VaultSecretCmdlet
{
    /// <summary>The version to change; the latest when omitted.</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VersionCompleter))]
    public string? Version { get; set; }

    /// <summary>Enables ($true) or disables ($false) the version.</summary>
    [Parameter]
    public bool? Enable { get; set; }

    /// <summary>A new expiry time; $null removes it (the version never expires).</summary>
    [Parameter]
    public DateTime? Expires { get; set; }

    /// <summary>A new not-before time; $null removes it (the version is valid from now on).</summary>
    [Parameter]
    public DateTime? NotBefore { get; set; }

    /// <summary>A new content type; an empty string clears it.</summary>
    [Parameter]
    public string? ContentType { get; set; }

    /// <summary>New tags, replacing the version's tags; an empty hashtable clears them.</summary>
    [Parameter]
    [Alias("Tags")]
    public Hashtable? Tag { get; set; }

    /// <summary>Writes the updated version's properties to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        var version = SecretRules.NormalizeVersion(Version);
        if (version is not null)
        {
            SecretRules.ValidateVersion(version);
        }

        var vault = OpenSecretVault();
        var name = vault.FindSecretFor(SecretChange.Update, Name, version);
        if (!ShouldProcess(VaultSecretId.Format(vault.VaultName, name, version), "Update secret attributes"))
        {
            return;
        }

        // Given as $null means remove; not given means leave as it is.
        var bound = MyInvocation.BoundParameters;
        var update = new SecretUpdate
        {
            ClearExpires = bound.ContainsKey(nameof(Expires)) && Expires is null,
            ClearNotBefore = bound.ContainsKey(nameof(NotBefore)) && NotBefore is null,
            Enabled = Enable,
            Expires = Expires,
            NotBefore = NotBefore,
            ContentType = MyInvocation.BoundParameters.ContainsKey(nameof(ContentType)) ? ContentType ?? string.Empty : null,
            Tags = MyInvocation.BoundParameters.ContainsKey(nameof(Tag)) ? Tag ?? new Hashtable() : null,
        };
        var properties = vault.UpdateSecret(Name, version, update);
        if (PassThru)
        {
            WriteObject(properties);
        }
    });
}
