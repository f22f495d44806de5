using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Vault.Core;

/// <summary>
/// What a host knows about one request beyond who makes it: the client's address, the request's id,
/// the user agent, a correlation id shared by related calls, the host's name, and a token that
/// cancels the request. It goes into every audit record the request writes (the record's client
/// field) and stops the request's work when cancelled. The cmdlets fill what they have (a
/// correlation id per pipeline and the PowerShell host); a server fills the rest.
/// </summary>
public sealed record RequestContext
{
    private static readonly string Version =
        typeof(RequestContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(RequestContext).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private string? clientJson;

    public RequestContext()
    {
    }

    /// <summary>For <c>with</c>: the copy works out its own client JSON.</summary>
    private RequestContext(RequestContext original)
    {
        CorrelationId = original.CorrelationId;
        RequestId = original.RequestId;
        ClientAddress = original.ClientAddress;
        UserAgent = original.UserAgent;
        Host = original.Host;
        Cancellation = original.Cancellation;
    }

    /// <summary>A request that says nothing about itself (the core's own tests, a script calling the core).</summary>
    public static RequestContext None { get; } = new();

    /// <summary>Shared by every call of one unit of work (one pipeline, one client operation).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The host's id for this request (a server's request id).</summary>
    public string? RequestId { get; init; }

    /// <summary>Where the request came from (a server's remote address).</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The client's user agent (the Azure SDK's, a browser's).</summary>
    public string? UserAgent { get; init; }

    /// <summary>The host the call came through (a PowerShell host's name; <c>Vault.Core</c> when not given).</summary>
    public string? Host { get; init; }

    /// <summary>Cancels the request: checked between its steps and in long loops.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The module version that writes the records.</summary>
    public static string ModuleVersion => Version;

    /// <summary>
    /// The correlation id of one PowerShell pipeline: a GUID (RFC 9562 version 8) from a hash of the
    /// runspace and the pipeline's history id, so every command of one command line, one script
    /// invocation or one runbook job shares it.
    /// </summary>
    public static string PipelineCorrelationId(Guid runspace, long historyId) => Crypto.Derivations.PipelineCorrelationId(runspace, historyId);

    /// <summary>
    /// The client as a record stores it: JSON with version, host, processId and machine, then the
    /// request's address, id and user agent when it has them (so a cmdlet's records are as before).
    /// </summary>
    internal string ClientJson() => clientJson ??= HasClientDetails ? BuildClientJson() : PlainClientJson(Host);

    private bool HasClientDetails => ClientAddress is not null || RequestId is not null || UserAgent is not null;

    /// <summary>
    /// The client of a request with only a host (every cmdlet's): made once per host, as it was
    /// before requests carried it, because a cmdlet makes a new request for every call and this
    /// is on the path of every record.
    /// </summary>
    private static string PlainClientJson(string? host)
    {
        var cached = plainClient;
        if (cached is not null && cached.Host == host)
        {
            return cached.Json;
        }

        var json = new RequestContext { Host = host }.BuildClientJson();
        plainClient = new CachedClient(host, json);
        return json;
    }

    private sealed record CachedClient(string? Host, string Json);

    private static CachedClient? plainClient;

    /// <summary>Microseconds since a <see cref="Stopwatch"/> timestamp: a record's duration.</summary>
    internal static long Elapsed(long startTimestamp) => (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds;

    private string BuildClientJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteString("host", Host ?? "Vault.Core");
            json.WriteNumber("processId", Environment.ProcessId);
            json.WriteString("machine", Environment.MachineName);
            WriteIfSet(json, "address", ClientAddress);
            WriteIfSet(json, "requestId", RequestId);
            WriteIfSet(json, "userAgent", UserAgent);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
