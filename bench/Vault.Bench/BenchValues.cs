using System.Security;

namespace Vault.Bench;

/// <summary>The names and the value every figure uses.</summary>
internal static class BenchValues
{
    /// <summary>Vault names are 3-24 characters, so the brief's <c>b</c> is spelled <c>bench</c>.</summary>
    public const string VaultName = "bench";

    public const string SecretName = "s";

    /// <summary>A connection-string-sized value: 60 bytes of UTF-8.</summary>
    public const string Value = "Server=db01;User Id=app;Password=Tr0ub4dor&3-correct-horse!";

    public static SecureString SecureValue()
    {
        var secure = new SecureString();
        foreach (var c in Value)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}
