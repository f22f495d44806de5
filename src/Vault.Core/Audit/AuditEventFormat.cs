using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vault.Core;

/// <summary>The file formats Export-VaultAuditLog writes.</summary>
public enum AuditExportFormat
{
    /// <summary>One JSON object per line, in the shape of Azure Key Vault's AuditEvent.</summary>
    JsonLines,

    /// <summary>The same fields flattened to columns, a header row first, quoted as RFC 4180 says.</summary>
    Csv,
}

/// <summary>
/// Audit records as a SIEM takes them: Azure Key Vault's AuditEvent shape, one JSON object a line,
/// or the same fields as CSV. Writes one record at a time, so an export of any size runs in constant memory.
/// </summary>
public static class AuditEventFormat
{
    /// <summary>The CSV columns, in order: the AuditEvent fields, flattened.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "time", "resourceId", "operationName", "category", "resultType", "resultSignature", "resultDescription", "durationMs",
        "correlationId", "callerId", "callerName", "callerType", "sequenceNumber", "isChained", "id", "secretName",
        "clientVersion", "clientHost", "clientProcessId", "clientMachine", "requestProperties", "hmac",
    ];

    /// <summary>The vault as a resource: <c>vault://&lt;vault&gt;</c>.</summary>
    public static string ResourceId(VaultAuditRecord record) => "vault://" + record.VaultName;

    /// <summary>
    /// Writes one record as an AuditEvent object: <c>time</c>, <c>resourceId</c>, <c>operationName</c>,
    /// <c>category</c> ("AuditEvent"), <c>resultType</c>, <c>resultSignature</c>, <c>resultDescription</c>,
    /// <c>durationMs</c>, <c>correlationId</c>, <c>identity.claim</c> (<c>oid</c>, <c>upn</c>, <c>type</c>)
    /// and <c>properties</c> (<c>sequenceNumber</c>, <c>isChained</c>, <c>id</c>, <c>secretName</c>,
    /// <c>clientInfo</c>, <c>requestProperties</c>, <c>hmac</c>).
    /// </summary>
    public static void WriteJsonLine(Utf8JsonWriter json, VaultAuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(record);
        json.WriteStartObject();
        json.WriteString("time", Time(record.Time));
        json.WriteString("resourceId", ResourceId(record));
        json.WriteString("operationName", record.OperationName);
        json.WriteString("category", "AuditEvent");
        json.WriteString("resultType", record.ResultType.ToString());
        json.WriteString("resultSignature", record.ResultSignature);
        json.WriteString("resultDescription", record.Description);
        json.WriteNumber("durationMs", record.DurationMs);
        json.WriteString("correlationId", record.CorrelationId);

        json.WriteStartObject("identity");
        json.WriteStartObject("claim");
        json.WriteString("oid", record.CallerId);
        json.WriteString("upn", record.CallerName);
        json.WriteString("type", record.CallerType);
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartObject("properties");
        if (record.SequenceNumber is { } sequence)
        {
            json.WriteNumber("sequenceNumber", sequence);
        }
        else
        {
            json.WriteNull("sequenceNumber");
        }

        json.WriteBoolean("isChained", record.IsChained);
        json.WriteString("id", record.TargetId);
        json.WriteString("secretName", record.SecretName);
        json.WriteStartObject("clientInfo");
        json.WriteString("version", record.ClientVersion);
        json.WriteString("host", record.ClientHost);
        if (record.ClientProcessId is { } pid)
        {
            json.WriteNumber("processId", pid);
        }
        else
        {
            json.WriteNull("processId");
        }

        json.WriteString("machine", record.ClientMachine);
        json.WriteEndObject();
        json.WritePropertyName("requestProperties");
        if (record.Properties is null)
        {
            json.WriteNullValue();
        }
        else if (record.Properties.Count == 1 && record.Properties.TryGetValue(Unparsed, out var text))
        {
            // An edited field that is no longer JSON still goes out, as text; Test-VaultAuditLog names the edit.
            json.WriteStringValue(text);
        }
        else
        {
            json.WriteStartObject();
            foreach (var (name, value) in record.Properties)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        json.WriteString("hmac", record.Hmac);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The header row, ending in CRLF.</summary>
    public static void WriteCsvHeader(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(",", CsvColumns));
        writer.Write("\r\n");
    }

    /// <summary>One record as a row of <see cref="CsvColumns"/>, ending in CRLF. A field with a comma, a quote or a line break is quoted, its quotes doubled.</summary>
    public static void WriteCsvRow(TextWriter writer, VaultAuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(record);
        string?[] fields =
        [
            Time(record.Time), ResourceId(record), record.OperationName, "AuditEvent", record.ResultType.ToString(), record.ResultSignature,
            record.Description, record.DurationMs.ToString("R", CultureInfo.InvariantCulture), record.CorrelationId,
            record.CallerId, record.CallerName, record.CallerType, record.SequenceNumber?.ToString(CultureInfo.InvariantCulture),
            record.IsChained ? "true" : "false", record.TargetId, record.SecretName, record.ClientVersion, record.ClientHost,
            record.ClientProcessId?.ToString(CultureInfo.InvariantCulture), record.ClientMachine, PropertiesText(record.Properties), record.Hmac,
        ];
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            writer.Write(CsvField(fields[i]));
        }

        writer.Write("\r\n");
    }

    /// <summary>A field as RFC 4180 writes it: quoted when it holds a comma, a quote, CR or LF; null is empty.</summary>
    public static string CsvField(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Time(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'", CultureInfo.InvariantCulture);

/// <summary>The name under which <see cref="ParseProperties"/> keeps stored text that is not a JSON object of strings.</summary>
    public const string Unparsed = "(unparsed)";

    /// <summary>A record's stored request properties (a JSON object of strings) by name; anything else whole under <see cref="Unparsed"/>.</summary>
    public static IReadOnlyDictionary<string, string>? ParseProperties(string? stored)
    {
        if (stored is null)
        {
            return null;
        }

        try
        {
            if (IsJsonObject(stored) && JsonSerializer.Deserialize(stored, Audit.AuditJson.Default.SortedDictionaryStringString) is { } parsed)
            {
                return new SortedDictionary<string, string>(parsed, StringComparer.Ordinal);
            }
        }
        catch (JsonException)
        {
        }

        return new SortedDictionary<string, string>(StringComparer.Ordinal) { [Unparsed] = stored };
    }

    /// <summary>The request properties as one JSON text (a CSV column): as stored, for what was parsed.</summary>
    private static string? PropertiesText(IReadOnlyDictionary<string, string>? properties) =>
        properties is null ? null
        : properties.Count == 1 && properties.TryGetValue(Unparsed, out var text) ? text
        : JsonSerializer.Serialize(new SortedDictionary<string, string>(properties.ToDictionary(), StringComparer.Ordinal), Audit.AuditJson.Default.SortedDictionaryStringString);

    private static bool IsJsonObject(string text)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// Writes audit records to a stream in an <see cref="AuditExportFormat"/>, one at a time: UTF-8
/// without a byte-order mark; JSON lines end in LF, CSV rows in CRLF.
/// </summary>
public sealed class AuditEventWriter : IDisposable
{
    private readonly Stream stream;
    private readonly AuditExportFormat format;
    private readonly Utf8JsonWriter? json;
    private readonly StreamWriter? csv;

    public AuditEventWriter(Stream stream, AuditExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(stream);
        this.stream = stream;
        this.format = format;
        if (format == AuditExportFormat.Csv)
        {
            csv = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true);
            AuditEventFormat.WriteCsvHeader(csv);
        }
        else
        {
            json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
    }

    /// <summary>Records written so far.</summary>
    public long Count { get; private set; }

    public void Write(VaultAuditRecord record)
    {
        if (format == AuditExportFormat.Csv)
        {
            AuditEventFormat.WriteCsvRow(csv!, record);
        }
        else
        {
            AuditEventFormat.WriteJsonLine(json!, record);
            json!.Flush();
            json.Reset();
            stream.WriteByte((byte)'\n');
        }

        Count++;
    }

    /// <summary>Flushes what is buffered to the stream (and the stream to its file).</summary>
    public void Flush()
    {
        csv?.Flush();
        json?.Flush();
        stream.Flush();
    }

    public void Dispose()
    {
        csv?.Dispose();
        json?.Dispose();
    }
}
