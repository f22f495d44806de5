using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Security;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>
/// Lets -SecretValue take what users have at hand: a SecureString (the norm), a PSCredential
/// (its password) or a plain string (for scripts that already hold one).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretValueTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Stand-ins for strings too large for any secret, with their size in UTF-8 bytes.</summary>
    private static readonly ConditionalWeakTable<SecureString, StrongBox<long>> Oversize = new();

    /// <summary>
    /// The UTF-8 size of the string <paramref name="value"/> stands for, when it was too large for any
    /// secret: the cmdlet reports it as SecretValueTooLarge, as the core would, instead of the binder's
    /// ParameterArgumentTransformationError (a SecureString holds at most 65,536 characters).
    /// </summary>
    public static long? OversizeBytes(SecureString value) => Oversize.TryGetValue(value, out var bytes) ? bytes.Value : null;

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
            case string text when text.Length > SecretRules.MaxValueBytes:
                // Every character is at least one UTF-8 byte: too large, whatever it holds. Not copied.
                var standIn = new SecureString();
                standIn.MakeReadOnly();
                Oversize.Add(standIn, new StrongBox<long>(System.Text.Encoding.UTF8.GetByteCount(text)));
                return standIn;
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
