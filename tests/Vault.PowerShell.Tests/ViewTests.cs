using System.Globalization;
using System.Text.RegularExpressions;

namespace Vault.PowerShell.Tests;

/// <summary>
/// The table views as a user sees them at 80 columns, in a real pwsh in New York: every column whole,
/// and times in local time with their offset. The expected times are computed here from the instants
/// the vault holds, not from this machine's time zone.
/// </summary>
public sealed class ViewTests(ViewTests.Rendering rendering) : IClassFixture<ViewTests.Rendering>
{
    private const string Zone = "America/New_York";
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById(Zone);

    [Fact]
    public void EveryLineOfEveryTableFitsEightyColumns()
    {
        foreach (var (name, text) in rendering.Sections)
        {
            Assert.NotEmpty(text.Trim());
            foreach (var line in Lines(text))
            {
                Assert.True(line.Length <= 80, $"{name}: a line of {line.Length} characters: '{line}'");
            }
        }

        Assert.DoesNotContain("(UTC)", rendering.Stdout);
    }

    [Fact]
    public void TheSecretsTableShowsTheExpiryInLocalTimeAndTheContentTypeAndUpdatedWhole()
    {
        var text = rendering.Sections["secrets"];
        Assert.Matches(@"(?m)^Enabled +Expires +Updated +ContentType +Name$", text);
        // 14:09 UTC in July is 10:09 in New York, in daylight time.
        var row = Row(text, "db-password");
        Assert.Matches($@"^True +2031-07-15 10:09 -04:00 +{Day(rendering.Raw["updated"])} +connection-string +db-password$", row);
        Assert.Matches(@"^True +\d{4}-\d\d-\d\d +text/plain +api-key$", Row(text, "api-key"));
    }

    [Fact]
    public void TheVersionsOfASecretShowTheirShortVersionsUnderTheSecret()
    {
        var text = rendering.Sections["versions"];
        Assert.Contains("   Secret: vault://views/secrets/db-password", text);
        Assert.Matches(@"(?m)^Version +Enabled +Created +Expires +Updated$", text);
        var latest = rendering.Raw["latest"];
        var first = rendering.Raw["first"];
        Assert.Matches($@"(?m)^{latest[..8]} +True +{Regex.Escape(Date(rendering.Raw["latestCreated"]))} +2031-07-15 10:09 -04:00 +{Day(rendering.Raw["updated"])}$", text);
        // 14:09 UTC in December is 09:09 in New York, in standard time.
        Assert.Matches($@"(?m)^{first[..8]} +True +{Regex.Escape(Date(rendering.Raw["firstCreated"]))} +2030-12-15 09:09 -05:00 +{Day(rendering.Raw["firstUpdated"])}$", text);
        Assert.DoesNotContain(latest, text);
        Assert.Equal("Vault.VaultSecretProperties#Version,Vault.VaultSecretProperties,System.Object", rendering.Raw["typeNames"]);
        Assert.Equal("Vault.VaultSecretProperties", rendering.Raw["type"]);
    }

    [Fact]
    public void TheDeletedSecretsTableShowsBothDatesAndTheContentType()
    {
        foreach (var section in new[] { "deleted", "deletedRedirected" })
        {
            var text = rendering.Sections[section];
            Assert.Matches(@"(?m)^DeletedDate +ScheduledPurgeDate +ContentType +Name$", text);
            var row = Row(text, "old-token");
            Assert.Equal($"{Date(rendering.Raw["deleted"])} {Date(rendering.Raw["purge"])} application/json  old-token", row);
        }
    }

    [Fact]
    public void TheAuditTableShowsADenialWithWhoAndOnWhat()
    {
        var text = rendering.Sections["audit"];
        Assert.Matches(@"(?m)^Time +OperationName +ResultType +ResultSignature +CallerName +SecretName$", text);
        var denied = DateTimeOffset.Parse(rendering.Raw["deniedTime"], CultureInfo.InvariantCulture);
        var local = TimeZoneInfo.ConvertTime(denied, NewYork);
        Assert.Contains($"   VaultName: views   Date: {local.ToString("yyyy-MM-dd zzz", CultureInfo.InvariantCulture)}", text);
        var caller = rendering.Raw["caller"];
        Assert.Matches($@"(?m)^{local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} SecretGet +Denied +Forbidden +{Regex.Escape(caller)} +db-password$", text);
        Assert.Matches($@"(?m)^\d\d:\d\d:\d\d SecretGet +Failed +NotFound +{Regex.Escape(caller)} +nope$", text);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d RoleAssignmentCreate +Success +OK ", text);
    }

    [Fact]
    public void TheVaultsTableShowsAVaultWhoseFileIsGoneWithItsStatus()
    {
        var text = rendering.Sections["vaults"];
        Assert.Matches(@"(?m)^VaultName +Default +KeyProtector +Retention +PurgeProtection +Status +Path$", text);
        Assert.Matches(@"(?m)^views +True +Software +90 days +False +Ok +/", text);
        // Nothing the file would have said is made up: no protector, retention or purge protection.
        Assert.Matches(@"(?m)^gone-vault +False +Missing +/", text);
    }

    [Fact]
    public void ASecretsDatesInItsListAreLocalToo()
    {
        var text = rendering.Sections["secret"];
        Assert.Contains("Expires     : 2031-07-15 10:09 -04:00", text);
        Assert.Contains($"Created     : {Date(rendering.Raw["latestCreated"])}", text);
    }

    private static string Row(string text, string name) => Assert.Single(Lines(text), l => l.EndsWith(" " + name, StringComparison.Ordinal));

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r', ' '));

    private static DateTimeOffset Local(string instant) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture), NewYork);

    private static string Date(string instant) => Local(instant).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    private static string Day(string instant) => Local(instant).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// One pwsh in New York: a vault with versions, a deleted secret, a failure and a denial in its
    /// audit log, each table written at 80 columns between markers, and the instants behind them.
    /// </summary>
    public sealed class Rendering : IDisposable
    {
        private const string Script = """
            function Section($name, $text) { "<<$name>>"; $text; "<</$name>>" }
            function Raw($name, $value) { "@@$name=$value" }
            New-Vault views | Out-Null
            $first = Set-VaultSecret views db-password 'v1' -ContentType connection-string -Expires ([datetimeoffset]'2030-12-15T14:09:00Z').UtcDateTime -PassThru
            $latest = Set-VaultSecret views db-password 'v2' -ContentType connection-string -Expires ([datetimeoffset]'2031-07-15T14:09:00Z').UtcDateTime -PassThru
            Set-VaultSecret views api-key 'k' -ContentType text/plain
            Set-VaultSecret views old-token 't' -ContentType application/json
            $deleted = Remove-VaultSecret views old-token -Force -PassThru
            Raw first $first.Version; Raw firstCreated $first.Created.ToString('o'); Raw firstUpdated $first.Updated.ToString('o')
            Raw latest $latest.Version; Raw latestCreated $latest.Created.ToString('o'); Raw updated $latest.Updated.ToString('o')
            Raw deleted $deleted.DeletedDate.ToString('o'); Raw purge $deleted.ScheduledPurgeDate.ToString('o')
            $versions = Get-VaultSecret views db-password -IncludeVersions
            Raw typeNames ($versions[0].PSObject.TypeNames -join ','); Raw type $versions[0].GetType().FullName
            Section secrets (Get-VaultSecret views | Out-String -Width 80)
            Section versions ($versions | Out-String -Width 80)
            Section secret (Get-VaultSecret views db-password | Out-String -Width 80)
            Section deleted (Get-VaultSecret views -InRemovedState | Out-String -Width 80)
            '<<deletedRedirected>>'; Get-VaultSecret views -InRemovedState; '<</deletedRedirected>>'
            Get-VaultSecret views nope -ErrorAction SilentlyContinue
            # A denial: this user keeps only the Audit Reader role, and reads a secret.
            $me = Get-VaultContext
            Raw caller $me.PrincipalName
            New-VaultRoleAssignment views -RoleDefinitionName 'Vault Administrator' -PrincipalId uid:99999 | Out-Null
            New-VaultRoleAssignment views -RoleDefinitionName 'Vault Audit Reader' -PrincipalId $me.PrincipalId | Out-Null
            Get-VaultRoleAssignment views -PrincipalName $me.PrincipalId -RoleDefinitionName 'Vault Administrator' | Remove-VaultRoleAssignment -Force
            Get-VaultSecret views db-password -ErrorAction SilentlyContinue
            $log = Get-VaultAuditLog views
            Raw deniedTime ($log | Where-Object ResultType -eq Denied | Select-Object -First 1).Time.ToString('o')
            Section audit ($log | Out-String -Width 80)
            # A vault whose file is gone is listed, with its status.
            New-Vault gone-vault | Out-Null
            Remove-Item -LiteralPath (Get-Vault gone-vault).Path
            Section vaults (Get-Vault | Out-String -Width 80)
            """;

        private readonly string home = Path.Combine(Path.GetTempPath(), "vault-pstests", "views-" + Guid.NewGuid().ToString("N"));

        public Rendering()
        {
            Directory.CreateDirectory(home);
            var result = PwshProcess.Run(home, new Dictionary<string, string> { ["TZ"] = Zone }, TimeSpan.FromMinutes(2),
                "-Command", $"$ErrorActionPreference = 'Stop'; Import-Module '{Repo.Manifest}'; {Script}");
            Assert.True(result.ExitCode == 0 && result.Stderr.Length == 0, result.Stderr + result.Stdout);
            Stdout = result.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal);
            foreach (Match match in Regex.Matches(Stdout, @"<<(\w+)>>\n(.*?)<</\1>>", RegexOptions.Singleline))
            {
                Sections[match.Groups[1].Value] = match.Groups[2].Value;
            }

            foreach (Match match in Regex.Matches(Stdout, "(?m)^@@(\\w+)=(.*)$"))
            {
                Raw[match.Groups[1].Value] = match.Groups[2].Value;
            }
        }

        public string Stdout { get; }

        public Dictionary<string, string> Sections { get; } = [];

        public Dictionary<string, string> Raw { get; } = [];

        public void Dispose() => Directory.Delete(home, recursive: true);
    }
}
