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

    /// <summary>The value. <c>Get-VaultSecret -AsPlainText</c> returns it as a string instead.</summary>
    public required SecureString SecretValue { get; init; }
}
