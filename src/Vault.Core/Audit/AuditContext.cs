using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Vault.Core.Audit;

/// <summary>
/// Who is calling, beyond the principal: the correlation id of the pipeline and the host, which the
/// PowerShell layer sets before it calls the core. Flows with the thread's execution context.
/// </summary>
public static class AuditContext
{
    private static readonly AsyncLocal<string?> Correlation = new();
    private static readonly AsyncLocal<string?> HostName = new();
    private static readonly string Version =
        typeof(AuditContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(AuditContext).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Shared by every operation of one pipeline; null outside PowerShell.</summary>
    public static string? CorrelationId
    {
        get => Correlation.Value;
        set => Correlation.Value = value;
    }

    /// <summary>The PowerShell host's name; null outside PowerShell.</summary>
    public static string? Host
    {
        get => HostName.Value;
        set => HostName.Value = value;
    }

    /// <summary>The module version that writes the records.</summary>
    public static string ModuleVersion => Version;

    /// <summary>The client as records store it: JSON with version, host, processId and machine.</summary>
    internal static string ClientJson()
    {
        var host = Host;
        var cached = client;
        if (cached is not null && cached.Host == host)
        {
            return cached.Json;
        }

        var json = BuildClientJson(host);
        client = new CachedClient(host, json);
        return json;
    }

    private sealed record CachedClient(string? Host, string Json);

    private static CachedClient? client;

    private static string BuildClientJson(string? host)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteString("host", host ?? "Vault.Core");
            json.WriteNumber("processId", Environment.ProcessId);
            json.WriteString("machine", Environment.MachineName);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static long Elapsed(long startTimestamp) => (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds;
}
