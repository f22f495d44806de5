using System.Management.Automation;
using Vault.Core;

namespace Vault.PowerShell.Commands;

/// <summary>
/// Get-VaultSecret: one secret with its value (an exact name), or the properties of many
/// (a wildcard, no name, -IncludeVersions, -InRemovedState), or those about to expire (-ExpiringWithin).
/// </summary>
[Cmdlet(VerbsCommon.Get, "VaultSecret", DefaultParameterSetName = ByName)]
[OutputType(typeof(VaultSecret), typeof(VaultSecretProperties), typeof(DeletedVaultSecret), typeof(string), typeof(PSCredential), typeof(byte[]), typeof(System.Collections.Hashtable), ParameterSetName = [ByName])]
[OutputType(typeof(VaultSecret), typeof(string), typeof(PSCredential), typeof(byte[]), typeof(System.Collections.Hashtable), ParameterSetName = [ById])]
[OutputType(typeof(VaultSecretProperties), ParameterSetName = [Expiring])]
public sealed class GetVaultSecretCommand : VaultCmdlet
{
    private const string ByName = "ByName";
    private const string ById = "ById";
    private const string Expiring = "Expiring";

    /// <summary>The type name the format file's view of one secret's versions is selected by.</summary>
    private const string VersionTypeName = "Vault.VaultSecretProperties#Version";

    /// <summary>The vault; the default vault when omitted.</summary>
    [Parameter(ParameterSetName = ByName, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = Expiring, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VaultNameCompleter))]
    public string? VaultName { get; set; }

    /// <summary>A secret name, or a wildcard to list secrets without their values.</summary>
    /// <remarks>Bound by property name only: taking strings by value would also take a piped
    /// VaultInfo (as its name), breaking <c>Get-Vault | Get-VaultSecret</c>.</remarks>
    [Parameter(ParameterSetName = ByName, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("SecretName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.SecretNameCompleter))]
    public string? Name { get; set; }

    /// <summary>A version of the secret; the latest when omitted.</summary>
    [Parameter(ParameterSetName = ByName, Position = 2, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VersionCompleter))]
    public string? Version { get; set; }

    /// <summary>Lists every version of the secret, newest first, without values. Needs an exact -Name.</summary>
    [Parameter(ParameterSetName = ByName)]
    public SwitchParameter IncludeVersions { get; set; }

    /// <summary>Lists (or gets) deleted secrets that can still be recovered.</summary>
    [Parameter(ParameterSetName = ByName)]
    public SwitchParameter InRemovedState { get; set; }

    /// <summary>A secret identifier: <c>vault://&lt;vault&gt;/secrets/&lt;name&gt;[/&lt;version&gt;]</c>.</summary>
    [Parameter(ParameterSetName = ById, Mandatory = true, Position = 0)]
    public string Id { get; set; } = string.Empty;

    /// <summary>Lists the latest version of every secret that expires within this time from now (expired ones too), without values.</summary>
    [Parameter(ParameterSetName = Expiring, Mandatory = true)]
    public TimeSpan ExpiringWithin { get; set; }

    /// <summary>
    /// Returns a text secret's value as a plain string instead of a secret object; with -AsHashtable,
    /// the hashtable's text values as strings.
    /// </summary>
    [Parameter(ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ById)]
    public SwitchParameter AsPlainText { get; set; }

    /// <summary>Returns a secret set as a PSCredential as one, with its user name.</summary>
    [Parameter(ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ById)]
    public SwitchParameter AsCredential { get; set; }

    /// <summary>Returns a secret set as a byte array as one (a single byte[], not its bytes one by one).</summary>
    [Parameter(ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ById)]
    public SwitchParameter AsByteArray { get; set; }

    /// <summary>
    /// Returns a secret set as a hashtable as one: text values as SecureStrings (strings with
    /// -AsPlainText), PSCredentials and byte arrays as they went in.
    /// </summary>
    [Parameter(ParameterSetName = ByName)]
    [Parameter(ParameterSetName = ById)]
    public SwitchParameter AsHashtable { get; set; }

    /// <summary>The type a switch asks for, or null when none does (a VaultSecret).</summary>
    private SecretType? Requested =>
        AsCredential ? SecretType.PSCredential
        : AsByteArray ? SecretType.ByteArray
        : AsHashtable ? SecretType.Hashtable
        : AsPlainText ? SecretType.String
        : null;

    private bool ReturnsValue => AsPlainText || AsCredential || AsByteArray || AsHashtable;

    /// <inheritdoc />
    protected override void ProcessRecord() => Try(() =>
    {
        if ((AsCredential ? 1 : 0) + (AsByteArray ? 1 : 0) + (AsHashtable ? 1 : 0) > 1 || (AsPlainText && (AsCredential || AsByteArray)))
        {
            ThrowArgumentError("InvalidParameterCombination",
                "-AsCredential, -AsByteArray and -AsHashtable each ask for one type: give one of them; -AsPlainText goes with -AsHashtable only.",
                Name ?? Id);
        }

        switch (ParameterSetName)
        {
            case ById:
                if (!VaultSecretId.TryParse(Id, out var vaultName, out var name, out var version))
                {
                    throw VaultErrors.InvalidSecretId(Id);
                }

                WriteSecret(OpenVault(vaultName), name, version);
                break;

            case Expiring:
                foreach (var properties in OpenVault(VaultName).ListExpiring(ExpiringWithin))
                {
                    WriteObject(properties);
                }

                break;

            default:
                GetByName();
                break;
        }
    });

    private void GetByName()
    {
        var vault = OpenVault(VaultName);
        var listing = Name is null || NamePattern.HasWildcard(Name);
        if (listing && Version is not null)
        {
            ThrowArgumentError("InvalidParameterCombination", "-Version needs an exact -Name, not a wildcard.", Version);
        }

        if (ReturnsValue && (listing || InRemovedState || IncludeVersions))
        {
            ThrowArgumentError("InvalidParameterCombination",
                "-AsPlainText, -AsCredential, -AsByteArray and -AsHashtable return the value of one secret: they need an exact -Name, and listings (a wildcard, no name, -InRemovedState, -IncludeVersions) carry no values.",
                Name);
        }

        if (IncludeVersions)
        {
            if (listing || Version is not null || InRemovedState)
            {
                ThrowArgumentError("InvalidParameterCombination",
                    "-IncludeVersions lists the versions of one secret: it needs an exact -Name, and takes no -Version, -InRemovedState or -AsPlainText.",
                    Name);
            }

            foreach (var properties in vault.ListVersions(Name!))
            {
                // The same objects as a listing's, under a view for one secret's versions.
                var versionObject = PSObject.AsPSObject(properties);
                versionObject.TypeNames.Insert(0, VersionTypeName);
                WriteObject(versionObject);
            }

            return;
        }

        if (InRemovedState)
        {
            if (Version is not null)
            {
                ThrowArgumentError("InvalidParameterCombination", "-Version cannot be used with -InRemovedState.", Version);
            }

            if (listing)
            {
                foreach (var deleted in vault.ListDeletedSecrets(NamePattern.Parse(Name)))
                {
                    WriteObject(deleted);
                }
            }
            else
            {
                WriteObject(vault.GetDeletedSecret(Name!));
            }

            return;
        }

        if (listing)
        {
            foreach (var properties in vault.ListSecrets(NamePattern.Parse(Name)))
            {
                WriteObject(properties);
            }
        }
        else
        {
            WriteSecret(vault, Name!, Version);
        }
    }

    private void WriteSecret(VaultService vault, string name, string? version)
    {
        if (Requested is not { } requested)
        {
            var secret = vault.GetSecret(name, version);
            Read(vault, secret);
            WriteObject(secret);
            return;
        }

        // The core refuses another type before it opens the value: the read is audited as refused.
        var (properties, content) = vault.GetSecretContent(name, version, requested);
        Read(vault, properties);
        WriteObject(SecretValues.ToObject(content, AsPlainText));
    }

    private void Read(VaultService vault, VaultSecretProperties secret)
    {
        WriteVerbose($"Read version {secret.Version} of secret '{secret.Name}' ({secret.SecretType}).");
        if (vault.ValidityWarning(secret) is { } warning)
        {
            WriteWarning(warning);
        }
    }
}
