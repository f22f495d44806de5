using System.Diagnostics.CodeAnalysis;
using System.Security;

namespace Vault;

/// <summary>One version of a secret with its value, which stays a <see cref="SecureString"/>.</summary>
public sealed class VaultSecret : VaultSecretProperties
{
    /// <summary>A version's properties with its value.</summary>
    [SetsRequiredMembers]
    public VaultSecret(VaultSecretProperties properties, SecureString secretValue)
        : base(properties)
    {
        SecretValue = secretValue;
    }

    /// <summary>
    /// The value as stored: for text, the text (<c>Get-VaultSecret -AsPlainText</c> returns it as a
    /// string instead); for a byte array, a PSCredential or a hashtable (see <see cref="VaultSecretProperties.SecretType"/>),
    /// its stored form, a JSON document, which <c>Get-VaultSecret -AsByteArray</c>, <c>-AsCredential</c>
    /// or <c>-AsHashtable</c> turn back into the object, and <c>Set-VaultSecret -InputObject</c> copies as it is.
    /// </summary>
    public required SecureString SecretValue { get; init; }
}
