using System.Management.Automation;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.VisualBasic.FileIO;

namespace Vault.PowerShell.Tests;

/// <summary>
/// The audit log through the cmdlets: reading it (every filter, newest first, the read recorded),
/// the correlation id of a pipeline, the export a SIEM takes, the head, verification against
/// tampering and rollback, a value's HMAC, and the secrets about to expire.
/// </summary>
public sealed partial class AuditCmdletTests : IDisposable
{
    private readonly VaultShell shell = new();

    public AuditCmdletTests() => shell.Run("""
        New-Vault audit-vault | Out-Null
        Set-VaultSecret audit-vault db 'db-value'
        Set-VaultSecret audit-vault api 'api-value'
        $me = Get-VaultContext
        """).Succeeded();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private List<PSObject> Log(string parameters = "") => shell.Run($"Get-VaultAuditLog audit-vault {parameters}").Succeeded().Output.ToList();

    private string VaultPath => shell.Run("(Get-Vault audit-vault).Path").Single().ToString();

    [Fact]
    public void TheLogIsNewestFirstCarriesTheClientAndRecordsItsOwnRead()
    {
        shell.Run("Get-VaultSecret audit-vault db | Out-Null").Succeeded();
        var records = Log();
        Assert.All(records, r => Assert.Equal("Vault.VaultAuditRecord", r.TypeNames[0]));
        Assert.Equal(["SecretGet", "SecretSet", "SecretSet", "VaultCreate"], records.Select(r => Prop<string>(r, "OperationName")));
        Assert.Equal([4L, 3L, 2L, 1L], records.Select(r => Prop<long?>(r, "SequenceNumber")!.Value));

        var get = records[0];
        Assert.Equal("audit-vault", Prop<string>(get, "VaultName"));
        Assert.True(Prop<bool>(get, "IsChained"));
        Assert.Equal("db", Prop<string>(get, "SecretName"));
        Assert.Matches("^vault://audit-vault/secrets/db/[0-9a-f]{32}$", Prop<string>(get, "TargetId"));
        Assert.Equal("Success", Prop<object>(get, "ResultType").ToString());
        Assert.Equal("OK", Prop<string>(get, "ResultSignature"));
        Assert.Equal(shell.Run("$me.PrincipalId").Single().ToString(), Prop<string>(get, "CallerId"));
        Assert.Equal(shell.Run("$me.PrincipalName").Single().ToString(), Prop<string>(get, "CallerName"));
        Assert.Equal("User", Prop<string>(get, "CallerType"));
        Assert.Equal("VaultTestHost", Prop<string>(get, "ClientHost"));
        Assert.Equal(Environment.ProcessId, Prop<int?>(get, "ClientProcessId"));
        Assert.Equal(Repo.Version, Prop<string>(get, "ClientVersion"));
        Assert.Equal(Environment.MachineName, Prop<string>(get, "ClientMachine"));
        Assert.Matches("^[0-9a-f]{64}$", Prop<string>(get, "Hmac"));
        Assert.True(Guid.TryParse(Prop<string>(get, "CorrelationId"), out _));
        Assert.True(Prop<double>(get, "DurationMs") >= 0);
        Assert.InRange(Prop<DateTime>(get, "Time"), DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));

        // The first read was recorded after all: the next read shows it, first.
        var again = Log();
        Assert.Equal("AuditLogRead", Prop<string>(again[0], "OperationName"));
        Assert.Equal(5L, Prop<long?>(again[0], "SequenceNumber"));
        Assert.Equal(5, again.Count);

        var table = string.Join("\n", shell.Run("Get-VaultAuditLog audit-vault | Out-String -Width 200").Succeeded().Output);
        Assert.Matches(@"VaultName: audit-vault   Date: \d{4}-\d\d-\d\d [+-]\d\d:\d\d", table);
        Assert.Matches(@"Time\s+OperationName\s+ResultType\s+ResultSignature\s+CallerName\s+SecretName", table);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d SecretGet\s+Success\s+OK\s+\S+\s+db\s*$", table);
    }

    [Fact]
    public void OnePipelineSharesACorrelationIdAndAnotherCommandLineGetsItsOwn()
    {
        shell.Run("Get-VaultSecret -VaultName audit-vault -Name db | Remove-VaultSecret -Force").Succeeded();
        shell.Run("Get-VaultSecret -VaultName audit-vault -Name api | Out-Null").Succeeded();
        shell.Run("Set-VaultSecret audit-vault one '1'; Set-VaultSecret audit-vault two '2'").Succeeded();

        var records = Log("-Last 5");
        Assert.Equal(["SecretSet", "SecretSet", "SecretGet", "SecretDelete", "SecretGet"], records.Select(r => Prop<string>(r, "OperationName")));
        var ids = records.Select(r => Prop<string>(r, "CorrelationId")).ToList();
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(ids[3], ids[4]);
        Assert.Equal(3, ids.Distinct().Count());

        // -CorrelationId finds the pipeline's records, in any case.
        var pipeline = Log($"-CorrelationId {ids[3].ToUpperInvariant()}");
        Assert.Equal(["SecretDelete", "SecretGet"], pipeline.Select(r => Prop<string>(r, "OperationName")));
        Assert.Equal(["db", "db"], pipeline.Select(r => Prop<string>(r, "SecretName")));

        // The read of the log has a correlation id of its own too (the next read shows it).
        var read = Log("-Last 1").Single();
        Assert.Equal("AuditLogRead", Prop<string>(read, "OperationName"));
        Assert.DoesNotContain(Prop<string>(read, "CorrelationId"), ids);
    }

    [Fact]
    public void EveryFilterNarrowsTheLog()
    {
        shell.Run("Get-VaultSecret audit-vault db | Out-Null; Get-VaultSecret audit-vault missing -ErrorAction SilentlyContinue").Succeeded();
        var start = DateTime.UtcNow.AddMinutes(-10).ToString("O");

        Assert.Equal(["SecretGet", "SecretGet"], Log("-Last 2").Select(r => Prop<string>(r, "OperationName")));
        Assert.Equal([3L, 2L], Log("-OperationName secretset").Select(r => Prop<long?>(r, "SequenceNumber")!.Value));
        Assert.Equal(["SecretGet", "SecretSet"], Log("-SecretName DB").Select(r => Prop<string>(r, "OperationName")));
        var failed = Assert.Single(Log("-ResultType Failed"));
        Assert.Equal("missing", Prop<string>(failed, "SecretName"));
        Assert.Equal("NotFound", Prop<string>(failed, "ResultSignature"));
        Assert.StartsWith("SecretNotFound: ", Prop<string>(failed, "Description"));
        Assert.Empty(Log("-ResultType Denied"));

        var all = Log().Count;
        Assert.Equal(all + 1, Log("-PrincipalName $me.PrincipalName").Count);
        Assert.Equal(all + 2, Log("-PrincipalName $me.PrincipalId").Count);
        Assert.Equal(all + 3, Log("-PrincipalId $me.PrincipalId").Count);
        Assert.Empty(Log("-PrincipalName uid:4242"));
        Assert.Empty(Log("-PrincipalName nobody-at-all"));

        Assert.Equal(all + 6, Log($"-Start '{start}'").Count);
        Assert.Empty(Log("-Start ([DateTime]::UtcNow.AddMinutes(5))"));
        Assert.Empty(Log("-End ([DateTime]::UtcNow.AddMinutes(-10))"));
        Assert.Equal(["SecretSet"], Log($"-Start '{start}' -End ([DateTime]::UtcNow) -OperationName SecretSet -SecretName api -ResultType Success -Last 5").Select(r => Prop<string>(r, "OperationName")));

        // Bad filters stop the command, naming the parameter.
        var operation = shell.Fails("Get-VaultAuditLog audit-vault -OperationName SecretRead", "InvalidAuditQuery", terminating: true);
        Assert.Equal(ErrorCategory.InvalidArgument, operation.CategoryInfo.Category);
        Assert.Contains("SecretGet", operation.Exception.Message);
        shell.Fails("Get-VaultAuditLog audit-vault -Start ([DateTime]::UtcNow) -End ([DateTime]::UtcNow.AddDays(-1))", "InvalidAuditQuery", terminating: true);
        var last = shell.Run("Get-VaultAuditLog audit-vault -Last 0");
        Assert.Equal("ParameterArgumentValidationError,Vault.PowerShell.Commands.GetVaultAuditLogCommand", Assert.Single(last.Errors).FullyQualifiedErrorId);
        Assert.StartsWith("CannotConvertArgument", Assert.Single(shell.Run("Get-VaultAuditLog audit-vault -ResultType Maybe").Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void WithoutTheAuditReaderRoleTheLogIsDeniedAndTheDenialIsRecorded()
    {
        shell.Run("""
            New-VaultRoleAssignment audit-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId uid:99999 | Out-Null
            New-VaultRoleAssignment audit-vault -RoleDefinitionName 'Vault Secrets User' -PrincipalId $me.PrincipalId | Out-Null
            Get-VaultRoleAssignment audit-vault -PrincipalName $me.PrincipalId -RoleDefinitionName 'Vault Administrator' | Remove-VaultRoleAssignment -Force
            """).Succeeded();
        foreach (var command in new[] { "Get-VaultAuditLog audit-vault", "Get-VaultAuditHead audit-vault", "Test-VaultAuditLog audit-vault", "Get-VaultAuditHash audit-vault 'x'" })
        {
            var denied = shell.Fails(command, "AccessDenied", terminating: false);
            Assert.Equal(ErrorCategory.PermissionDenied, denied.CategoryInfo.Category);
            Assert.Contains("Vault/audit/read/action", denied.Exception.Message);
        }

        shell.Fails($"Export-VaultAuditLog audit-vault '{Path.Combine(shell.Home, "denied.jsonl")}'", "AccessDenied", terminating: false);
        Assert.False(File.Exists(Path.Combine(shell.Home, "denied.jsonl")));
        Assert.Empty(Directory.EnumerateFiles(shell.Home, "denied.jsonl*"));

        // Each denial is in the log (read here straight from the file: this caller may not read the log).
        var denials = RawLog("SELECT operation FROM audit_record WHERE result_type = 'Denied' ORDER BY id");
        Assert.Equal(["AuditLogRead", "AuditHeadGet", "AuditLogVerify", "AuditHashCompute", "AuditLogExport"], denials);
    }

    private List<string> RawLog(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={VaultPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    [Fact]
    public void AnAuditReaderAloneReadsTheLogButNoSecret()
    {
        shell.Run("""
            New-VaultRoleAssignment audit-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId uid:99999 | Out-Null
            New-VaultRoleAssignment audit-vault -RoleDefinitionName 'Vault Audit Reader' -PrincipalId $me.PrincipalId | Out-Null
            Get-VaultRoleAssignment audit-vault -PrincipalName $me.PrincipalId -RoleDefinitionName 'Vault Administrator' | Remove-VaultRoleAssignment -Force
            """).Succeeded();
        shell.Fails("Get-VaultSecret audit-vault db", "AccessDenied", terminating: false);
        shell.Fails("Get-VaultAuditLog audit-vault -OperationName NoSuchOperation", "InvalidAuditQuery", terminating: true);

        var denied = Assert.Single(Log("-ResultType Denied"));
        Assert.Equal("SecretGet", Prop<string>(denied, "OperationName"));
        Assert.Equal("Forbidden", Prop<string>(denied, "ResultSignature"));
        Assert.Equal("db", Prop<string>(denied, "SecretName"));
        Assert.True(Prop<bool>(shell.Run("Test-VaultAuditLog audit-vault").Succeeded().Single(), "IsValid"));
        Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", shell.Run("Get-VaultAuditHash audit-vault 'x'").Succeeded().Single().ToString());
    }

    [Fact]
    public void ExportWritesOneAuditEventPerLineOldestFirst()
    {
        var file = Path.Combine(shell.Home, "audit.jsonl");
        var before = Log().Count;
        var result = shell.Run($"Export-VaultAuditLog audit-vault '{file}'").Succeeded();
        Assert.Equal(file, ((FileInfo)result.Single().BaseObject).FullName);

        var lines = File.ReadAllLines(file);
        Assert.Equal(before + 1, lines.Length);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, before + 1).Select(i => (long)i), events.Select(e => e.GetProperty("properties").GetProperty("sequenceNumber").GetInt64()));
        Assert.Equal("VaultCreate", events[0].GetProperty("operationName").GetString());
        Assert.Equal("AuditLogRead", events[^1].GetProperty("operationName").GetString());

        var set = events[1];
        Assert.Equal("AuditEvent", set.GetProperty("category").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", set.GetProperty("time").GetString());
        Assert.Equal("vault://audit-vault", set.GetProperty("resourceId").GetString());
        Assert.Equal("SecretSet", set.GetProperty("operationName").GetString());
        Assert.Equal("Success", set.GetProperty("resultType").GetString());
        Assert.Equal("OK", set.GetProperty("resultSignature").GetString());
        Assert.Equal(JsonValueKind.String, set.GetProperty("resultDescription").ValueKind);
        Assert.Equal(JsonValueKind.Number, set.GetProperty("durationMs").ValueKind);
        Assert.True(Guid.TryParse(set.GetProperty("correlationId").GetString(), out _));
        var claim = set.GetProperty("identity").GetProperty("claim");
        Assert.Equal(shell.Run("$me.PrincipalId").Single().ToString(), claim.GetProperty("oid").GetString());
        Assert.Equal(shell.Run("$me.PrincipalName").Single().ToString(), claim.GetProperty("upn").GetString());
        Assert.Equal("User", claim.GetProperty("type").GetString());
        var properties = set.GetProperty("properties");
        Assert.Equal("db", properties.GetProperty("secretName").GetString());
        Assert.Matches("^vault://audit-vault/secrets/db/[0-9a-f]{32}$", properties.GetProperty("id").GetString());
        Assert.True(properties.GetProperty("isChained").GetBoolean());
        Assert.Equal("VaultTestHost", properties.GetProperty("clientInfo").GetProperty("host").GetString());
        Assert.Equal(Environment.ProcessId, properties.GetProperty("clientInfo").GetProperty("processId").GetInt32());
        Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", properties.GetProperty("requestProperties").GetProperty("valueHmac").GetString());
        Assert.Matches("^[0-9a-f]{64}$", properties.GetProperty("hmac").GetString());

        // The export is itself recorded, and is not in its own file.
        Assert.Equal("AuditLogExport", Prop<string>(Log("-Last 1").Single(), "OperationName"));
        Assert.DoesNotContain(events, e => e.GetProperty("operationName").GetString() == "AuditLogExport");

        // -Start and -End narrow it; the file goes through a temporary name only.
        var empty = Path.Combine(shell.Home, "empty.jsonl");
        shell.Run($"Export-VaultAuditLog audit-vault -Path '{empty}' -Start ([DateTime]::UtcNow.AddMinutes(5))").Succeeded();
        Assert.Equal(0, new FileInfo(empty).Length);
        shell.Run($"Export-VaultAuditLog audit-vault -Path '{empty}' -End ([DateTime]::UtcNow.AddMinutes(-5)) -Force").Succeeded();
        Assert.Equal(0, new FileInfo(empty).Length);
        Assert.Empty(Directory.EnumerateFiles(shell.Home, "*.tmp"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void ExportAsCsvHasAHeaderAndOneRowPerRecord()
    {
        shell.Fails("Get-VaultSecret audit-vault 'bad,\"name'", "InvalidSecretName", terminating: true);
        var file = Path.Combine(shell.Home, "audit.csv");
        var count = Log().Count + 1;
        shell.Run($"Export-VaultAuditLog audit-vault '{file}' -Format Csv").Succeeded();

        using var parser = new TextFieldParser(file) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        var header = parser.ReadFields()!;
        Assert.Equal(["time", "resourceId", "operationName", "category", "resultType", "resultSignature", "resultDescription", "durationMs",
            "correlationId", "callerId", "callerName", "callerType", "sequenceNumber", "isChained", "id", "secretName",
            "clientVersion", "clientHost", "clientProcessId", "clientMachine", "requestProperties", "hmac"], header);
        var rows = new List<string[]>();
        while (!parser.EndOfData)
        {
            rows.Add(parser.ReadFields()!);
        }

        Assert.Equal(count, rows.Count);
        Assert.All(rows, r => Assert.Equal(header.Length, r.Length));
        Assert.Equal("VaultCreate", rows[0][2]);
        Assert.Equal("1", rows[0][12]);
        var refused = rows.Single(r => r[5] == "InvalidInput");
        Assert.Contains("bad,\"name", refused[6]);
        Assert.StartsWith("{\"valueHmac\":\"hmac-sha256:", rows[1][20]);
        Assert.Contains("\r\n", File.ReadAllText(file));
    }

    [Fact]
    public void ExportHonoursWhatIfAndRefusesToOverwriteWithoutForce()
    {
        var file = Path.Combine(shell.Home, "audit.jsonl");
        var whatIf = shell.Run($"Export-VaultAuditLog audit-vault '{file}' -WhatIf").Succeeded();
        Assert.Empty(whatIf.Output);
        Assert.Contains("What if: Performing the operation \"Export the audit log as JsonLines to", whatIf.HostText);
        Assert.False(File.Exists(file));
        Assert.DoesNotContain(Log(), r => Prop<string>(r, "OperationName") == "AuditLogExport");

        shell.Host.ConfirmAnswer = "No";
        shell.Run($"Export-VaultAuditLog audit-vault '{file}' -Confirm").Succeeded();
        Assert.False(File.Exists(file));
        shell.Host.ConfirmAnswer = "Yes";

        File.WriteAllText(file, "keep me");
        var exists = shell.Fails($"Export-VaultAuditLog audit-vault '{file}'", "OutputFileExists", terminating: false);
        Assert.Equal(ErrorCategory.ResourceExists, exists.CategoryInfo.Category);
        Assert.Equal(file, exists.TargetObject);
        Assert.Equal("keep me", File.ReadAllText(file));
        shell.Run($"Export-VaultAuditLog audit-vault '{file}' -Force").Succeeded();
        Assert.StartsWith("{\"time\":", File.ReadAllText(file));
    }

    [Fact]
    public void ExportShowsProgressAndNoFileEverHoldsASecretValue()
    {
        string[] values = ["Distinctive-Secret-Value-7f3a9c", "Another-Value-With-Ümlaut-2b8e"];
        shell.Run($"Set-VaultSecret audit-vault special '{values[0]}'; Set-VaultSecret audit-vault other '{values[1]}'").Succeeded();
        shell.Run("foreach ($i in 1..1100) { Get-VaultSecret audit-vault special | Out-Null }").Succeeded();
        shell.Run($"Get-VaultAuditHash audit-vault '{values[0]}' | Out-Null").Succeeded();

        var json = shell.Run($"Export-VaultAuditLog audit-vault (Join-Path $env:VAULT_HOME 'audit.jsonl')").Succeeded();
        Assert.Contains("PROGRESS: Exporting the audit log of vault 'audit-vault' 1,000 records written", json.HostText);
        shell.Run($"Export-VaultAuditLog audit-vault (Join-Path $env:VAULT_HOME 'audit.csv') -Format Csv").Succeeded();
        Assert.True(File.ReadAllLines(Path.Combine(shell.Home, "audit.jsonl")).Length > 1100);

        VaultFiles.AssertNoPlaintext(shell.Home, values);
        Assert.DoesNotContain(values[0], shell.Run("Get-VaultAuditLog audit-vault | Out-String -Width 300").AllText());
    }

    [Fact]
    public void TheHeadIsTheLastRecordAndItsStringFormRoundTrips()
    {
        var head = shell.Run("Get-VaultAuditHead audit-vault").Succeeded().Single();
        Assert.Equal("Vault.VaultAuditHead", head.TypeNames[0]);
        Assert.Equal("audit-vault", Prop<string>(head, "VaultName"));
        Assert.NotNull(Prop<Guid?>(head, "VaultId"));
        var last = Log("-Last 1").Single();
        Assert.Equal("AuditHeadGet", Prop<string>(last, "OperationName"));
        Assert.Equal(Prop<long?>(last, "SequenceNumber"), Prop<long>(head, "SequenceNumber"));
        Assert.Equal(Prop<string>(last, "Hmac"), Prop<string>(head, "Hmac"));
        Assert.Equal($"{Prop<long>(head, "SequenceNumber")}:{Prop<string>(head, "Hmac")}", head.ToString());

        var list = string.Join("\n", shell.Run("Get-VaultAuditHead audit-vault | Out-String -Width 200").Succeeded().Output);
        Assert.Matches(@"Anchor\s+: \d+:[0-9a-f]{64}", list);
    }

    [Fact]
    public void AnIntactLogVerifiesAgainstItsAnchoredHeadGivenEitherWay()
    {
        shell.Run("$anchor = Get-VaultAuditHead audit-vault; $text = $anchor.ToString()").Succeeded();
        shell.Run("Set-VaultSecret audit-vault later 'x'").Succeeded();

        var plain = shell.Run("Test-VaultAuditLog audit-vault").Succeeded().Single();
        Assert.Equal("Vault.VaultAuditVerification", plain.TypeNames[0]);
        Assert.True(Prop<bool>(plain, "IsValid"));
        Assert.Null(Prop<string>(plain, "Problem"));
        Assert.Equal(5L, Prop<long>(plain, "RecordCount"));
        Assert.Contains("is intact", Prop<string>(plain, "Message"));

        foreach (var expected in new[] { "$anchor", "$text", "\"$text\".ToUpperInvariant()", "$($anchor | Export-Clixml (Join-Path $env:VAULT_HOME 'a.xml'); Import-Clixml (Join-Path $env:VAULT_HOME 'a.xml'))" })
        {
            var verification = shell.Run($"Test-VaultAuditLog audit-vault -ExpectedHead ({expected})").Succeeded().Single();
            Assert.True(Prop<bool>(verification, "IsValid"), expected);
            Assert.NotNull(Prop<object>(verification, "ExpectedHead"));
        }

        Assert.True(Prop<bool>(shell.Run("Test-VaultAuditLog audit-vault $text").Succeeded().Single(), "IsValid"));
        var list = string.Join("\n", shell.Run("Test-VaultAuditLog audit-vault | Out-String -Width 300").Succeeded().Output);
        Assert.Matches(@"IsValid\s+: True", list);
    }

    [Theory]
    [InlineData("'42'")]
    [InlineData("'42:abc'")]
    [InlineData("'-1:0000000000000000000000000000000000000000000000000000000000000000'")]
    [InlineData("'x:0000000000000000000000000000000000000000000000000000000000000000'")]
    [InlineData("17")]
    public void AnExpectedHeadThatIsNotOneStopsTheCommand(string head)
    {
        var before = Log().Count;
        var error = shell.Fails($"Test-VaultAuditLog audit-vault -ExpectedHead {head}", "InvalidAuditHead", terminating: true);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("is not an audit head", error.Exception.Message);
        Assert.Contains("<sequence>:<hmac>", error.Exception.Message);
        Assert.DoesNotContain(Log(), r => Prop<string>(r, "OperationName") == "AuditLogVerify");
        Assert.Equal(before + 2, Log().Count);
    }

    [Fact]
    public void AnEditedRecordIsNamedAndWrittenAsAuditLogTampered()
    {
        shell.Run("Get-VaultSecret audit-vault db | Out-Null").Succeeded();
        VaultFiles.Tamper(VaultPath, "UPDATE audit_record SET caller_name = 'someone-else' WHERE seq = 3;");

        var result = shell.Run("Test-VaultAuditLog audit-vault");
        Assert.Null(result.Terminating);
        var verification = Assert.Single(result.Output);
        Assert.False(Prop<bool>(verification, "IsValid"));
        Assert.Equal("Edited", Prop<string>(verification, "Problem"));
        Assert.Equal(3L, Prop<long?>(verification, "FirstBadSequenceNumber"));
        var error = Assert.Single(result.Errors);
        Assert.Equal("AuditLogTampered,Vault.PowerShell.Commands.TestVaultAuditLogCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal("audit-vault", error.TargetObject);
        Assert.Contains("Edited at sequence number 3", error.Exception.Message);

        // -ErrorAction Stop makes it stop a runbook.
        shell.Fails("Test-VaultAuditLog audit-vault -ErrorAction Stop", "AuditLogTampered", terminating: true);

        // The verification is recorded with what it found.
        var verify = Log("-OperationName AuditLogVerify -Last 1").Single();
        Assert.StartsWith("Edited at sequence number 3", Prop<string>(verify, "Description"));
    }

    [Fact]
    public void AnOperationWhoseRecordCannotBeWrittenStopsAndChangesNothing()
    {
        var path = VaultPath;
        var versionsBefore = VaultFiles.Scalar(path, "SELECT group_concat(version) FROM (SELECT version FROM secret_version ORDER BY seq);");
        var recordsBefore = VaultFiles.Scalar(path, "SELECT count(*) FROM audit_record;");
        VaultFiles.Tamper(path, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'audit disabled'); END;");

        var error = shell.Fails("Set-VaultSecret audit-vault db -SecretValue 'never-stored'", "AuditWriteFailed", terminating: true);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Equal("audit-vault", error.TargetObject);
        Assert.DoesNotContain("never-stored", error.Exception.Message);
        shell.Fails("Get-VaultSecret audit-vault db -AsPlainText", "AuditWriteFailed", terminating: true);
        Assert.DoesNotContain("db-value", shell.Run("Get-VaultSecret audit-vault db -AsPlainText").AllText());

        // Nothing was written: no version, no record.
        Assert.Equal(versionsBefore, VaultFiles.Scalar(path, "SELECT group_concat(version) FROM (SELECT version FROM secret_version ORDER BY seq);"));
        Assert.Equal(recordsBefore, VaultFiles.Scalar(path, "SELECT count(*) FROM audit_record;"));
    }

    [Fact]
    public void ARemovedRecordIsNamed()
    {
        VaultFiles.Tamper(VaultPath, "DELETE FROM audit_record WHERE seq = 2;");
        var verification = shell.Run("Test-VaultAuditLog audit-vault -ErrorAction SilentlyContinue").Single();
        Assert.Equal("Removed", Prop<string>(verification, "Problem"));
        Assert.Equal(2L, Prop<long?>(verification, "FirstBadSequenceNumber"));
    }

    [Fact]
    public void AVaultFileRolledBackToAnOlderCopyDoesNotReachTheAnchoredHead()
    {
        var path = VaultPath;
        var aside = Path.Combine(shell.Home, "aside");
        Directory.CreateDirectory(aside);
        File.Copy(path, Path.Combine(aside, "v.vault"));
        File.Copy(path + "-wal", Path.Combine(aside, "v.vault-wal"));

        shell.Run("Set-VaultSecret audit-vault db 'rotated'; Remove-VaultSecret audit-vault api -Force").Succeeded();
        shell.Run("$anchor = Get-VaultAuditHead audit-vault").Succeeded();
        Assert.True(Prop<bool>(shell.Run("Test-VaultAuditLog audit-vault -ExpectedHead $anchor").Succeeded().Single(), "IsValid"));

        // Put the old copy back: move the live file away (the module then forgets its session), copy the old one in.
        var moved = Path.Combine(shell.Home, "moved.vault");
        File.Move(path, moved);
        shell.Fails("Get-VaultAuditHead audit-vault", "VaultFileNotFound", terminating: true);
        File.Delete(path + "-wal");
        File.Delete(path + "-shm");
        File.Copy(Path.Combine(aside, "v.vault"), path);
        File.Copy(Path.Combine(aside, "v.vault-wal"), path + "-wal");

        // On its own the old copy is a valid log; only the anchored head shows it was rolled back.
        Assert.True(Prop<bool>(shell.Run("Test-VaultAuditLog audit-vault").Succeeded().Single(), "IsValid"));
        var result = shell.Run("Test-VaultAuditLog audit-vault -ExpectedHead $anchor");
        var verification = Assert.Single(result.Output);
        Assert.False(Prop<bool>(verification, "IsValid"));
        Assert.Equal("RolledBack", Prop<string>(verification, "Problem"));
        Assert.Equal("AuditLogTampered", Assert.Single(result.Errors).FullyQualifiedErrorId.Split(',')[0]);

        // Written again since: the record at the anchored sequence number is another one.
        shell.Run("1..4 | ForEach-Object { Set-VaultSecret audit-vault \"s$_\" 'x' }").Succeeded();
        var rewritten = shell.Run("Test-VaultAuditLog audit-vault -ExpectedHead $anchor -ErrorAction SilentlyContinue").Single();
        Assert.Equal("RolledBack", Prop<string>(rewritten, "Problem"));
        Assert.Equal(shell.Run("$anchor.SequenceNumber").Single().BaseObject, Prop<long?>(rewritten, "FirstBadSequenceNumber"));
    }

    [Fact]
    public void AValuesHashIsTheValueHmacOfItsSecretSetRecord()
    {
        var stored = Log("-OperationName SecretSet -SecretName db").Single();
        var valueHmac = Prop<IReadOnlyDictionary<string, string>>(stored, "Properties")["valueHmac"];
        Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", valueHmac);

        Assert.Equal(valueHmac, shell.Run("Get-VaultAuditHash audit-vault 'db-value'").Succeeded().Single().ToString());
        Assert.Equal(valueHmac, shell.Run("Get-VaultAuditHash audit-vault -Value (ConvertTo-SecureString 'db-value' -AsPlainText -Force)").Succeeded().Single().ToString());
        Assert.Equal(valueHmac, shell.Run("'db-value' | Get-VaultAuditHash audit-vault").Succeeded().Single().ToString());
        Assert.NotEqual(valueHmac, shell.Run("Get-VaultAuditHash audit-vault 'api-value'").Succeeded().Single().ToString());

        // Which record set this value: the runbook of about_Vault_Audit.
        var found = shell.Run("$hash = Get-VaultAuditHash audit-vault 'db-value'; Get-VaultAuditLog audit-vault -OperationName SecretSet | Where-Object { $_.Properties.valueHmac -eq $hash }").Succeeded();
        Assert.Equal("db", Prop<string>(found.Single(), "SecretName"));

        var hashRecord = Log("-OperationName AuditHashCompute").First();
        Assert.DoesNotContain("db-value", Prop<string>(hashRecord, "Properties") ?? string.Empty);
        var bad = shell.Run("Get-VaultAuditHash audit-vault -Value (Get-Item $env:VAULT_HOME)");
        Assert.Contains("-Value takes a SecureString", Assert.Single(bad.Errors).Exception.Message);
    }

    [Fact]
    public void ExpiringWithinListsTheSecretsAboutToExpire()
    {
        shell.Run("""
            Set-VaultSecret audit-vault soon 'x' -Expires ([DateTime]::UtcNow.AddDays(10))
            Set-VaultSecret audit-vault later 'x' -Expires ([DateTime]::UtcNow.AddDays(90))
            Set-VaultSecret audit-vault gone 'x' -Expires ([DateTime]::UtcNow.AddDays(100))
            Update-VaultSecret audit-vault gone -Expires ([DateTime]::UtcNow.AddSeconds(-5))
            """).Succeeded();

        var expiring = shell.Run("Get-VaultSecret audit-vault -ExpiringWithin ([TimeSpan]::FromDays(30))").Succeeded().Output;
        Assert.Equal(["gone", "soon"], expiring.Select(o => Prop<string>(o, "Name")));
        Assert.All(expiring, o => Assert.Equal("Vault.VaultSecretProperties", o.TypeNames[0]));
        Assert.Equal(["gone", "later", "soon"], shell.Run("Get-VaultSecret audit-vault -ExpiringWithin 120.00:00:00").Succeeded().Output.Select(o => Prop<string>(o, "Name")));
        Assert.Equal(["gone"], shell.Run("Get-VaultSecret -VaultName audit-vault -ExpiringWithin 0").Succeeded().Output.Select(o => Prop<string>(o, "Name")));
        Assert.Equal(["gone", "soon"], shell.Run("Get-Vault audit-vault | Get-VaultSecret -ExpiringWithin 30.00:00:00").Succeeded().Output.Select(o => Prop<string>(o, "Name")));

        var listed = Log("-Last 1").Single();
        Assert.Equal("SecretList", Prop<string>(listed, "OperationName"));
        Assert.Equal("30.00:00:00", Prop<IReadOnlyDictionary<string, string>>(listed, "Properties")["expiringWithin"]);
        shell.Fails("Get-VaultSecret audit-vault -ExpiringWithin '-1.00:00:00'", "InvalidExpiringWithin", terminating: true);
    }

    [Fact]
    public void OperationNamesComplete()
    {
        const string line = "Get-VaultAuditLog -OperationName SecretG";
        var completions = shell.Run($"(TabExpansion2 -inputScript '{line}' -cursorColumn {line.Length}).CompletionMatches.CompletionText")
            .Succeeded().Output.Select(o => o.ToString()).ToList();
        Assert.Equal(["SecretGet", "SecretGetDeleted", "SecretGetMetadata"], completions);
        const string all = "Get-VaultAuditLog -OperationName ";
        // 37 since step 6 added VaultUpgrade and VaultVerify.
        Assert.Equal(37, shell.Run($"(TabExpansion2 -inputScript '{all}' -cursorColumn {all.Length}).CompletionMatches.Count").Single().BaseObject);
    }

    [Fact]
    public void TabCompletionIsNotRecorded()
    {
        var before = Log().Count;
        const string line = "Get-VaultSecret -VaultName audit-vault -Name d";
        shell.Run($"TabExpansion2 -inputScript '{line}' -cursorColumn {line.Length} | Out-Null").Succeeded();
        const string role = "New-VaultRoleAssignment -VaultName audit-vault -RoleDefinitionName 'Vault R";
        shell.Run($"TabExpansion2 -inputScript \"{role}\" -cursorColumn {role.Length} | Out-Null").Succeeded();
        Assert.Equal(before + 1, Log().Count);
    }

    [Fact]
    public void TheAboutTopicShipsAndGetHelpFindsIt()
    {
        var help = string.Join("\n", shell.Run("Get-Help about_Vault_Audit | Out-String -Width 200").Succeeded().Output.Select(o => o.ToString()));
        Assert.Contains("SHORT DESCRIPTION", help);
        Assert.Contains("AuditLogTampered", help);
        Assert.Contains("about_Vault_Audit", File.ReadAllText(Path.Combine(Repo.Root, "docs", "en-US", "about_Vault.md")));
    }
}
