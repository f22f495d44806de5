using System.Text;
using System.Text.Json;
using Vault.Core.Audit;

namespace Vault.Core.Tests;

/// <summary>The export formats: Azure's AuditEvent shape as JSON lines, and RFC 4180 CSV.</summary>
public sealed class AuditEventFormatTests
{
    private static VaultAuditRecord Record(string? description = "A new version.", string? properties = """{"valueHmac":"hmac-sha256:00"}""", long? seq = 7) => new()
    {
        VaultName = "app",
        SequenceNumber = seq,
        IsChained = seq is not null,
        Time = new DateTime(2026, 11, 25, 18, 52, 57, 463, DateTimeKind.Utc),
        OperationName = "SecretSet",
        CallerId = "uid:1002",
        CallerName = "raj",
        CallerType = "User",
        TargetId = "vault://app/secrets/db/0123456789abcdef0123456789abcdef",
        SecretName = "db",
        ResultType = nameof(VaultAuditResultType.Success),
        ResultSignature = "OK",
        Description = description,
        DurationMs = 1.5,
        CorrelationId = "e6534e85-b7ab-8979-8932-0821d11c4ee9",
        ClientVersion = "0.1.0",
        ClientHost = "ConsoleHost",
        ClientProcessId = 42,
        ClientMachine = "vm",
        Properties = AuditEventFormat.ParseProperties(properties),
        Hmac = new string('a', 64),
    };

    private static JsonElement Json(VaultAuditRecord record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new AuditEventWriter(buffer, AuditExportFormat.JsonLines))
        {
            writer.Write(record);
            writer.Flush();
        }

        var text = Encoding.UTF8.GetString(buffer.ToArray());
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public void AJsonLineHasTheAuditEventShape()
    {
        var e = Json(Record());
        Assert.Equal("2026-11-25T18:52:57.4630000Z", e.GetProperty("time").GetString());
        Assert.Equal("vault://app", e.GetProperty("resourceId").GetString());
        Assert.Equal("SecretSet", e.GetProperty("operationName").GetString());
        Assert.Equal("AuditEvent", e.GetProperty("category").GetString());
        Assert.Equal("Success", e.GetProperty("resultType").GetString());
        Assert.Equal("OK", e.GetProperty("resultSignature").GetString());
        Assert.Equal("A new version.", e.GetProperty("resultDescription").GetString());
        Assert.Equal(1.5, e.GetProperty("durationMs").GetDouble());
        Assert.Equal("e6534e85-b7ab-8979-8932-0821d11c4ee9", e.GetProperty("correlationId").GetString());
        var claim = e.GetProperty("identity").GetProperty("claim");
        Assert.Equal("uid:1002", claim.GetProperty("oid").GetString());
        Assert.Equal("raj", claim.GetProperty("upn").GetString());
        Assert.Equal("User", claim.GetProperty("type").GetString());
        var properties = e.GetProperty("properties");
        Assert.Equal(7, properties.GetProperty("sequenceNumber").GetInt64());
        Assert.True(properties.GetProperty("isChained").GetBoolean());
        Assert.Equal("vault://app/secrets/db/0123456789abcdef0123456789abcdef", properties.GetProperty("id").GetString());
        Assert.Equal("db", properties.GetProperty("secretName").GetString());
        Assert.Equal(42, properties.GetProperty("clientInfo").GetProperty("processId").GetInt32());
        Assert.Equal("hmac-sha256:00", properties.GetProperty("requestProperties").GetProperty("valueHmac").GetString());
        Assert.Equal(new string('a', 64), properties.GetProperty("hmac").GetString());
    }

    [Fact]
    public void AnUnchainedEntryAndPropertiesThatAreNotJsonStillMakeValidJson()
    {
        var e = Json(Record(description: "line\nbreak \"quoted\" <tag>", properties: "{not json", seq: null));
        Assert.Equal(JsonValueKind.Null, e.GetProperty("properties").GetProperty("sequenceNumber").ValueKind);
        Assert.False(e.GetProperty("properties").GetProperty("isChained").GetBoolean());
        Assert.Equal("{not json", e.GetProperty("properties").GetProperty("requestProperties").GetString());
        Assert.Equal("line\nbreak \"quoted\" <tag>", e.GetProperty("resultDescription").GetString());
        Assert.Equal(JsonValueKind.Null, Json(Record(properties: null)).GetProperty("properties").GetProperty("requestProperties").ValueKind);
        Assert.Equal(JsonValueKind.String, Json(Record(properties: "{} {}")).GetProperty("properties").GetProperty("requestProperties").ValueKind);
    }

    [Fact]
    public void CsvHasAHeaderAndQuotesAsRfc4180Says()
    {
        using var buffer = new MemoryStream();
        using (var writer = new AuditEventWriter(buffer, AuditExportFormat.Csv))
        {
            writer.Write(Record(description: "a, \"b\"\r\nc"));
            writer.Write(Record(description: null, seq: null));
            writer.Flush();
            Assert.Equal(2, writer.Count);
        }

        var bytes = buffer.ToArray();
        Assert.False(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "no byte-order mark");
        var text = Encoding.UTF8.GetString(bytes);
        var header = string.Join(",", AuditEventFormat.CsvColumns);
        Assert.StartsWith(header + "\r\n", text);
        Assert.Contains(",\"a, \"\"b\"\"\r\nc\",", text);
        Assert.Contains(",\"{\"\"valueHmac\"\":\"\"hmac-sha256:00\"\"}\",", text);
        Assert.EndsWith("\r\n", text);
        Assert.Equal(string.Empty, AuditEventFormat.CsvField(null));
        Assert.Equal("plain", AuditEventFormat.CsvField("plain"));
        Assert.Equal("\"x\"\"y\"", AuditEventFormat.CsvField("x\"y"));
        Assert.Equal(22, AuditEventFormat.CsvColumns.Count);
    }
}
