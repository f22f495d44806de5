using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell;

/// <summary>
/// Lets -SecretValue take what users have at hand: a SecureString (the norm), a PSCredential
/// (its password) or a plain string (for scripts that already hold one).
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
        switch (value)
        {
            case SecureString secure:
                return secure;
            case PSCredential credential:
                return credential.Password;
            case string text:
                var result = new SecureString();
                foreach (var c in text)
                {
                    result.AppendChar(c);
                }

                result.MakeReadOnly();
                return result;
            default:
                throw new ArgumentTransformationMetadataException(
                    $"-{ParameterName} takes a SecureString, a PSCredential or a string; a {value?.GetType().Name ?? "null"} was given.");
        }
    }
}
