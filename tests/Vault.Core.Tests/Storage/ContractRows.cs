using System.Text;
using Vault.Core.Storage;

namespace Vault.Core.Tests.Storage;

/// <summary>
/// Rows for the storage contract, and comparisons of rows read back. The values are only shaped
/// like the core's (storage checks none of them): what matters is that each field is distinct
/// enough for a mix-up to show.
/// </summary>
internal static class ContractRows
{
    private static readonly byte[] None = [];

    /// <summary>2026-11-18 UTC, in Unix milliseconds: every time in the contract is near it.</summary>
    public const long T0 = 1_795_000_000_000;

    /// <summary>The role a vault's creator is given; storage does not know roles, so any id does.</summary>
    public static readonly Guid AdministratorRole = Guid.Parse("00000000-0000-0000-0000-00000000000a");

    public static VaultRow Settings(string name = "contract") =>
        new(Guid.NewGuid(), Guid.NewGuid(), name, T0, 90, PurgeProtection: false, """{"kind":"File","path":"contract.key"}""");

    /// <summary>A keyring term whose every blob is made from the term, so two terms never look alike.</summary>
    public static KeyringRow Term(int term) =>
        new(term, "data", Bytes(44, term), "AES-256-GCM", Bytes(8, term + 100), term == 1 ? null : Bytes(60, term + 200), T0 + term);

    public static RoleAssignmentRow Assignment(string principalId, string scope = "/", Guid? role = null, long created = T0, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), principalId, "user-" + principalId, "User", role ?? AdministratorRole, scope, created);

    public static RoleDefinitionRow Definition(string name, long created = T0) =>
        new(Guid.NewGuid(), name, "Can " + name, """["Vault/secrets/getSecret/action"]""", """["Vault/secrets/purge/action"]""", created);

    /// <summary>A version id as secrets have them: 32 lowercase hex characters.</summary>
    public static string VersionId(int n) => n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    public static VersionRow Version(string version, int term = 1, long created = T0) => new()
    {
        Version = version,
        Created = created,
        Updated = created,
        Enabled = true,
        NotBefore = created - 60_000,
        Expires = created + 86_400_000,
        ContentType = "text/plain",
        Tags = """{"env":"test"}""",
        Term = term,
        Value = Encoding.UTF8.GetBytes("sealed:" + version + ":" + term),
    };

    /// <summary>A record with every field set (Seq, PrevHmac and Hmac too when <paramref name="seq"/> is given).</summary>
    public static AuditRow Record(long? seq, long time = T0, string operation = "SecretGet", string? callerName = "user-alice", string? callerId = "uid:1000",
        string? objectName = "db", string? target = "vault://contract/secrets/db", string resultType = "Success", string? correlationId = "9b2f0c1e-5d7a-4e0b-8a61-1f3c2b4d5e6f") => new()
    {
        Seq = seq,
        Time = time,
        Operation = operation,
        CallerId = callerId,
        CallerName = callerName,
        CallerType = "User",
        Target = target,
        ObjectName = objectName,
        ResultType = resultType,
        ResultSignature = resultType == "Success" ? "OK" : resultType,
        Description = "Read café ☕ " + operation,
        DurationUs = 1234 + (seq ?? 0),
        CorrelationId = correlationId,
        Client = """{"module":"0.1.0","host":"Vault.Core"}""",
        Properties = """{"version":"abc"}""",
        PrevHmac = seq is { } s ? Bytes(32, (int)s - 1) : null,
        Hmac = seq is { } t ? Bytes(32, (int)t) : null,
    };

    public static AuditHeadRow Head(long seq, long time = T0) => new(seq, Bytes(32, (int)seq), time, Bytes(32, (int)seq + 1000));

    /// <summary>Bytes that differ for each seed (and from every other seed's at the same length).</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((seed * 37) + (i * 11) + (seed >> 8));
        }

        return bytes;
    }

    // Records compare byte arrays by reference: each comparison below swaps them for one shared
    // empty array (or null) and compares their contents apart.

    public static void Same(KeyringRow expected, KeyringRow actual)
    {
        Assert.Equal(expected with { WrappedKey = None, KeyCheck = null, Chain = null }, actual with { WrappedKey = None, KeyCheck = null, Chain = null });
        Assert.Equal(expected.WrappedKey, actual.WrappedKey);
        Assert.Equal(expected.KeyCheck, actual.KeyCheck);
        Assert.Equal(expected.Chain, actual.Chain);
    }

    public static void Same(IReadOnlyList<KeyringRow> expected, IReadOnlyList<KeyringRow> actual)
    {
        Assert.Equal(expected.Select(t => t.Term), actual.Select(t => t.Term));
        for (var i = 0; i < expected.Count; i++)
        {
            Same(expected[i], actual[i]);
        }
    }

    /// <summary>A version read back against the one written: storage picks <see cref="VersionRow.Seq"/>, so it is not compared.</summary>
    public static void Same(VersionRow expected, VersionRow? actual, bool withValue)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Seq = 0, Value = None }, actual with { Seq = 0, Value = None });
        Assert.Equal(withValue ? expected.Value : None, actual.Value);
    }

    public static void Same(AuditRow expected, AuditRow actual)
    {
        Assert.Equal(expected with { PrevHmac = null, Hmac = null }, actual with { PrevHmac = null, Hmac = null });
        Assert.Equal(expected.PrevHmac, actual.PrevHmac);
        Assert.Equal(expected.Hmac, actual.Hmac);
    }

    public static void Same(AuditHeadRow expected, AuditHeadRow? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Seq, expected.Time), (actual.Seq, actual.Time));
        Assert.Equal(expected.Hmac, actual.Hmac);
        Assert.Equal(expected.HeadHmac, actual.HeadHmac);
    }

    public static void Same(SealedVersion expected, SealedVersion actual)
    {
        Assert.Equal(expected with { Value = None }, actual with { Value = None });
        Assert.Equal(expected.Value, actual.Value);
    }

}
