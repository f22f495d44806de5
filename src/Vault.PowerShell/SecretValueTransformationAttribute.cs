using System.Collections;
using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell;

/// <summary>
/// Lets -SecretValue take what SecretManagement's Set-Secret takes: a SecureString (the norm), a
/// string, a byte array, a PSCredential or a hashtable. Anything else is refused while binding;
/// the value itself is checked when the cmdlet turns it into a secret (<see cref="SecretValues"/>),
/// so a hashtable with a value of the wrong kind is InvalidSecretValue naming the secret.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretValueTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>The parameter, as its error names it.</summary>
    public string ParameterName { get; set; } = "SecretValue";

    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            SecureString or string or byte[] or PSCredential or Hashtable => value,
            _ => throw new ArgumentTransformationMetadataException(
                $"-{ParameterName} takes a SecureString, a string, a byte array, a PSCredential or a hashtable; a {value?.GetType().Name ?? "null"} was given."),
        };
    }
}
