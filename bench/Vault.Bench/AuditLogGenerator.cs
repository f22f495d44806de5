using System.Globalization;
using Vault.Core;
using Vault.Core.Audit;
using Vault.Core.Storage;

namespace Vault.Bench;

/// <summary>
/// Records shaped like the ones Vault writes, for filling a large log fast: a mix of operations
/// (mostly reads), <see cref="SecretNames"/> secret names picked uniformly, five callers, about 6%
/// Denied and 4% Failed, a correlation id per pipeline of a few records, a client that changes
/// every few thousand records, and times spread over the 180 days before the fill. Seeded: every
/// run makes the same log.
/// </summary>
internal sealed class AuditLogGenerator
{
    public const int SecretNames = 1_000;

    private const int Seed = 20261125;

    private static readonly (string Id, string Name, string Type)[] Callers =
    [
        ("uid:1000", "alice", "User"),
        ("uid:1001", "bob", "User"),
        ("uid:1002", "carol", "User"),
        ("app:ci-deploy", "ci-deploy", "Application"),
        ("app:backup-job", "backup-job", "Application"),
    ];

    /// <summary>Operation, weight in a thousand, whether it names a secret.</summary>
    private static readonly (string Operation, int Weight, bool Secret)[] Operations =
    [
        (AuditOperations.SecretGet, 640, true),
        (AuditOperations.SecretGetMetadata, 100, true),
        (AuditOperations.SecretSet, 120, true),
        (AuditOperations.SecretListVersions, 20, true),
        (AuditOperations.SecretDelete, 10, true),
        (AuditOperations.SecretRecover, 5, true),
        (AuditOperations.SecretBackup, 5, true),
        (AuditOperations.SecretList, 50, false),
        (AuditOperations.VaultUnlock, 20, false),
        (AuditOperations.AccessTest, 10, false),
        (AuditOperations.RoleAssignmentList, 10, false),
        (AuditOperations.AuditLogRead, 10, false),
    ];

    private static readonly string[] Hosts = ["ConsoleHost", "Default Host", "Visual Studio Code Host"];

    private readonly Random random = new(Seed);
    private readonly string vaultName;
    private long time;
    private string? correlation;
    private int correlationLeft;
    private string client = string.Empty;
    private int clientLeft;

    public AuditLogGenerator(string vaultName, DateTimeOffset end, int records)
    {
        this.vaultName = vaultName;

        // About 15.5 s between records on average: a million records end near the fill's start.
        time = end.ToUnixTimeMilliseconds() - (long)records * 15_500;
    }

    public static string SecretName(int i) => "svc-" + i.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The next record; <paramref name="secretIndex"/> is its secret's index, or -1.</summary>
    public AuditRow Next(out int secretIndex)
    {
        time += random.Next(0, 31_000);
        if (--correlationLeft < 0)
        {
            correlation = random.Next(10) == 0 ? null : Guid.NewGuid().ToString("D");
            correlationLeft = random.Next(1, 8);
        }

        if (--clientLeft < 0)
        {
            client = $$"""{"version":"0.4.0","host":"{{Hosts[random.Next(Hosts.Length)]}}","processId":{{random.Next(1000, 65000)}},"machine":"host{{random.Next(1, 9)}}"}""";
            clientLeft = random.Next(500, 5000);
        }

        var (operation, secret) = PickOperation();
        var caller = Callers[random.Next(Callers.Length)];
        secretIndex = secret ? random.Next(SecretNames) : -1;
        var name = secret ? SecretName(secretIndex) : null;
        var version = secret && operation is AuditOperations.SecretGet or AuditOperations.SecretGetMetadata or AuditOperations.SecretSet ? Hex(16) : null;
        var target = "vault://" + vaultName + (name is null ? string.Empty : "/secrets/" + name + (version is null ? string.Empty : "/" + version));
        var roll = random.Next(100);
        var (resultType, signature, description) = roll switch
        {
            < 6 => ("Denied", "Forbidden", $"AccessDenied: '{caller.Name}' ({caller.Id}) may not do {operation} at /{(name is null ? string.Empty : "secrets/" + name)} in vault '{vaultName}': no role assignment of theirs allows it."),
            < 9 when name is not null => ("Failed", "NotFound", $"SecretNotFound: Secret '{name}' was not found in vault '{vaultName}'."),
            < 10 => ("Failed", "InvalidInput", "InvalidArgument: The value given is not valid."),
            _ => ("Success", "OK", operation == AuditOperations.SecretSet ? "A new version." : null),
        };
        var properties = operation switch
        {
            AuditOperations.SecretSet => $$"""{"valueHmac":"hmac-sha256:{{Hex(32)}}"}""",
            AuditOperations.SecretList => """{"pattern":"*"}""",
            AuditOperations.AuditLogRead => """{"last":"100"}""",
            _ => null,
        };

        return new AuditRow
        {
            Time = time,
            Operation = operation,
            CallerId = caller.Id,
            CallerName = caller.Name,
            CallerType = caller.Type,
            Target = target,
            ObjectName = name,
            ResultType = resultType,
            ResultSignature = signature,
            Description = description,
            DurationUs = random.Next(25, 600),
            CorrelationId = correlation,
            Client = client,
            Properties = properties,
        };
    }

    private (string Operation, bool Secret) PickOperation()
    {
        var pick = random.Next(1000);
        foreach (var (operation, weight, secret) in Operations)
        {
            if ((pick -= weight) < 0)
            {
                return (operation, secret);
            }
        }

        return (AuditOperations.SecretGet, true);
    }

    private string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
