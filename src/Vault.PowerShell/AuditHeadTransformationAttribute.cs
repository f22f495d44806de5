using System.Management.Automation;

namespace Vault.PowerShell;

/// <summary>
/// Lets -ExpectedHead take a head as users keep it: the object Get-VaultAuditHead returns, that
/// object after a round trip through Export-Clixml or ConvertFrom-Json, or its string form
/// <c>&lt;sequence&gt;:&lt;hmac&gt;</c>. A string that is not a head is carried through to the command,
/// which stops with the error InvalidAuditHead (a transformation's own error has PowerShell's id).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class AuditHeadTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is null or VaultAuditHead)
        {
            return value;
        }

        if (value is not string && inputData is PSObject shape
            && shape.Properties["SequenceNumber"]?.Value is { } sequence && shape.Properties["Hmac"]?.Value is { } hmac)
        {
            return FromText(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{sequence}:{hmac}"));
        }

        return FromText(value.ToString() ?? string.Empty);
    }

    private static VaultAuditHead FromText(string text)
    {
        try
        {
            return VaultAuditHead.Parse(text);
        }
        catch (FormatException)
        {
            // Not a head: a negative sequence number marks it, and the text rides along for the error.
            return new VaultAuditHead { SequenceNumber = -1, Hmac = text };
        }
    }

    /// <summary>The head to verify against; a head that is not one stops the command with InvalidAuditHead.</summary>
    internal static VaultAuditHead Check(VaultAuditHead head, VaultCmdlet cmdlet)
    {
        var text = head.SequenceNumber < 0 ? head.Hmac : head.ToString();
        try
        {
            return VaultAuditHead.Parse(text);
        }
        catch (FormatException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException(ex.Message, "ExpectedHead", ex), "InvalidAuditHead", ErrorCategory.InvalidArgument, text));
            throw;
        }
    }
}
