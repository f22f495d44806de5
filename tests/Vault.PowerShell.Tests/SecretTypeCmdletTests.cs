using System.Collections;
using System.Management.Automation;
using System.Security;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Step 8: -SecretValue takes what SecretManagement's Set-Secret takes and each type comes back as it
/// went in; a piped secret copies to another vault with its type and attributes; dates can be cleared.
/// </summary>
public sealed class SecretTypeCmdletTests : IDisposable
{
    private const string Id = ",Vault.PowerShell.Commands.GetVaultSecretCommand";
    private readonly VaultShell shell = new();

    public SecretTypeCmdletTests() => shell.Run("New-Vault -Name vta | Out-Null; New-Vault -Name vtb | Out-Null").Succeeded();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private static string Plain(object secure) => new System.Net.NetworkCredential(string.Empty, (SecureString)secure).Password;

    private const string SetAll = """
        $pw = ConvertTo-SecureString 'cred-pw-1' -AsPlainText -Force
        Set-VaultSecret vta text 'text-1'
        Set-VaultSecret vta secure (ConvertTo-SecureString 'secure-1' -AsPlainText -Force)
        Set-VaultSecret vta bytes ([byte[]](0, 1, 127, 128, 255))
        Set-VaultSecret vta cred ([pscredential]::new('svc-user', $pw)) -ContentType connection-string
        Set-VaultSecret vta cfg @{ Token = 'tok-1'; Pin = (ConvertTo-SecureString 'pin-1' -AsPlainText -Force); Admin = [pscredential]::new('root', $pw); Blob = [byte[]](9, 8) }
        """;

    [Fact]
    public void EachTypeRoundTripsAsItWentIn()
    {
        shell.Run(SetAll).Succeeded();

        Assert.Equal("text-1", shell.Run("Get-VaultSecret vta text -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal("secure-1", Plain(Prop<object>(shell.Run("Get-VaultSecret vta secure").Succeeded().Single(), "SecretValue")));

        // One byte[], not its bytes one by one.
        Assert.Equal("System.Byte[] 5", shell.Run("$b = Get-VaultSecret vta bytes -AsByteArray; \"$($b.GetType().FullName) $($b.Count)\"").Succeeded().Single().BaseObject);
        Assert.Equal(new byte[] { 0, 1, 127, 128, 255 }, shell.Run("Get-VaultSecret vta bytes -AsByteArray").Succeeded().Single().BaseObject);

        var cred = Assert.IsType<PSCredential>(shell.Run("Get-VaultSecret vta cred -AsCredential").Succeeded().Single().BaseObject);
        Assert.Equal(("svc-user", "cred-pw-1"), (cred.UserName, cred.GetNetworkCredential().Password));

        // As SecretManagement's Get-Secret: text values are SecureStrings, strings with -AsPlainText.
        var table = Assert.IsType<Hashtable>(shell.Run("Get-VaultSecret vta cfg -AsHashtable").Succeeded().Single().BaseObject);
        Assert.Equal(["Admin", "Blob", "Pin", "Token"], table.Keys.Cast<string>().Order(StringComparer.Ordinal));
        Assert.Equal("tok-1", Plain(table["token"]!));
        Assert.Equal("pin-1", Plain(table["Pin"]!));
        Assert.Equal("root", Assert.IsType<PSCredential>(table["Admin"]).UserName);
        Assert.Equal(new byte[] { 9, 8 }, table["Blob"]);
        var plain = Assert.IsType<Hashtable>(shell.Run("Get-VaultSecret vta cfg -AsHashtable -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal(("tok-1", "pin-1"), (plain["Token"], plain["Pin"]));
        Assert.Equal("cred-pw-1", Assert.IsType<PSCredential>(plain["Admin"]).GetNetworkCredential().Password);

        // The type is its own property: a credential and a content type of the user's own coexist.
        var listed = shell.Run("Get-VaultSecret vta | Sort-Object Name | ForEach-Object { '{0}={1}/{2}' -f $_.Name, $_.SecretType, $_.ContentType }").Succeeded().Output;
        Assert.Equal(["bytes=ByteArray/", "cfg=Hashtable/", "cred=PSCredential/connection-string", "secure=SecureString/", "text=String/"], listed.Select(o => o.BaseObject));
        Assert.Contains("SecretType  : PSCredential", shell.Run("Get-VaultSecret vta cred | Format-List | Out-String -Width 80").Succeeded().Single().BaseObject as string);
    }

    [Fact]
    public void AskingForAnotherTypeIsASpecificError()
    {
        shell.Run(SetAll).Succeeded();
        foreach (var (command, says) in new[]
        {
            ("Get-VaultSecret vta cred -AsPlainText", "-AsCredential"),
            ("Get-VaultSecret vta text -AsCredential", "-AsPlainText"),
            ("Get-VaultSecret vta cred -AsByteArray", "-AsCredential"),
            ("Get-VaultSecret vta bytes -AsHashtable", "-AsByteArray"),
            ("Get-VaultSecret vta cfg -AsCredential", "-AsHashtable"),
        })
        {
            var error = shell.Fails(command, "SecretTypeMismatch", terminating: false);
            Assert.Equal("SecretTypeMismatch" + Id, error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
            Assert.Contains(says, error.Exception.Message);
        }

        Assert.Equal("InvalidParameterCombination" + Id, shell.Fails("Get-VaultSecret vta cred -AsCredential -AsByteArray", "InvalidParameterCombination", terminating: true).FullyQualifiedErrorId);
        shell.Fails("Get-VaultSecret vta cred -AsCredential -AsPlainText", "InvalidParameterCombination", terminating: true);
        shell.Fails("Get-VaultSecret vta 'c*' -AsCredential", "InvalidParameterCombination", terminating: true);

        var nested = shell.Fails("Set-VaultSecret vta bad @{ inner = @{ x = 'y' } }", "InvalidSecretValue", terminating: true);
        Assert.Equal("bad", nested.TargetObject);
        shell.Fails("Set-VaultSecret vta bad @{ n = 42 }", "InvalidSecretValue", terminating: true);
        shell.Fails("Set-VaultSecret vta bad ([byte[]]::new(20000))", "SecretValueTooLarge", terminating: true);
        Assert.Empty(shell.Run("Get-VaultSecret vta bad -ErrorAction SilentlyContinue").Output);
    }

    [Fact]
    public void APipedSecretCopiesToAnotherVaultWithItsTypeAndAttributes()
    {
        shell.Run(SetAll).Succeeded();
        shell.Run("""
            Update-VaultSecret vta cred -Tag @{ env = 'prod' } -Expires ([datetime]::new(2031, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)) -NotBefore ([datetime]::new(2021, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
            'text', 'secure', 'bytes', 'cred', 'cfg' | ForEach-Object { Get-VaultSecret -VaultName vta -Name $_ | Set-VaultSecret -VaultName vtb }
            """).Succeeded();

        var copy = shell.Run("Get-VaultSecret vtb cred").Succeeded().Single();
        Assert.Equal(("PSCredential", "connection-string", "prod"), (Prop<object>(copy, "SecretType").ToString(), Prop<string>(copy, "ContentType"), Prop<Hashtable>(copy, "Tags")["env"]));
        Assert.Equal(new DateTime(2031, 1, 1, 0, 0, 0, DateTimeKind.Utc), Prop<DateTime?>(copy, "Expires"));
        Assert.Equal(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc), Prop<DateTime?>(copy, "NotBefore"));
        var cred = Assert.IsType<PSCredential>(shell.Run("Get-VaultSecret vtb cred -AsCredential").Succeeded().Single().BaseObject);
        Assert.Equal(("svc-user", "cred-pw-1"), (cred.UserName, cred.GetNetworkCredential().Password));
        Assert.Equal(new byte[] { 0, 1, 127, 128, 255 }, shell.Run("Get-VaultSecret vtb bytes -AsByteArray").Succeeded().Single().BaseObject);
        Assert.Equal("pin-1", ((Hashtable)shell.Run("Get-VaultSecret vtb cfg -AsHashtable -AsPlainText").Succeeded().Single().BaseObject)["Pin"]);
        Assert.Equal(
            ["SecureString", "String"],
            shell.Run("'secure', 'text' | ForEach-Object { (Get-VaultSecret vtb $_).SecretType.ToString() }").Succeeded().Output.Select(o => o.BaseObject));

        // Given attributes win over the piped secret's; a copy under another name in the same vault works too.
        shell.Run("Get-VaultSecret vta cred | Set-VaultSecret -Name cred-2 -ContentType text/plain -Tag @{}").Succeeded();
        var renamed = shell.Run("Get-VaultSecret vta cred-2").Succeeded().Single();
        Assert.Equal(("PSCredential", "text/plain", 0), (Prop<object>(renamed, "SecretType").ToString(), Prop<string>(renamed, "ContentType"), Prop<Hashtable>(renamed, "Tags").Count));
    }

    [Fact]
    public void UpdateClearsDatesGivenAsNullAndLeavesThoseNotGiven()
    {
        shell.Run("Set-VaultSecret vta db 'v' -Expires ([datetime]::new(2031, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)) -NotBefore ([datetime]::new(2021, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))").Succeeded();

        var expires = shell.Run("Update-VaultSecret vta db -Expires $null -PassThru").Succeeded().Single();
        Assert.Null(Prop<DateTime?>(expires, "Expires"));
        Assert.Equal(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc), Prop<DateTime?>(expires, "NotBefore"));

        var both = shell.Run("Update-VaultSecret vta db -NotBefore $null -PassThru; Get-VaultSecret vta db").Succeeded().Output;
        Assert.All(both, o => Assert.Null(Prop<DateTime?>(o, "NotBefore")));
        Assert.All(both, o => Assert.Null(Prop<DateTime?>(o, "Expires")));

        var described = shell.Run("Get-VaultAuditLog vta -OperationName SecretUpdate | ForEach-Object Description").Succeeded().Output.Select(o => o.BaseObject as string).ToList();
        Assert.Contains("Changed: Expires (cleared)", described);
        Assert.Contains("Changed: NotBefore (cleared)", described);
    }

    [Fact]
    public void NoTypedValueIsInTheAuditLogVerboseOutputOrErrors()
    {
        var secrets = new[] { "Pw-" + Guid.NewGuid().ToString("N"), "Tk-" + Guid.NewGuid().ToString("N"), "Us-" + Guid.NewGuid().ToString("N") };
        var run = shell.Run($$"""
            $pw = ConvertTo-SecureString '{{secrets[0]}}' -AsPlainText -Force
            Set-VaultSecret vta cred ([pscredential]::new('{{secrets[2]}}', $pw)) -Verbose
            Set-VaultSecret vta cfg @{ token = '{{secrets[1]}}'; admin = [pscredential]::new('root', $pw) } -Verbose
            Get-VaultSecret vta cred -AsCredential -Verbose | Out-Null
            Get-VaultSecret vta cfg -AsHashtable -AsPlainText -Verbose | Out-Null
            Get-VaultSecret vta cfg -Verbose | Out-Null
            Get-VaultSecret vta cred | Set-VaultSecret -VaultName vtb -Verbose
            Get-VaultSecret vta cfg -AsByteArray -Verbose
            Update-VaultSecret vta cred -Expires $null -Verbose
            """);
        Assert.Single(run.Errors);
        Assert.Contains(run.Verbose, v => v.Message.Contains("(PSCredential)"));
        var seen = run.AllText() + shell.Run("Get-VaultAuditLog vta | Format-List * | Out-String; Get-VaultAuditLog vtb | Format-List * | Out-String").Succeeded().Output.Select(o => o.ToString()).Aggregate(string.Empty, string.Concat);
        Assert.Contains("SecretSet", seen);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, seen);
        }

        // Get-VaultAuditHash of the same typed value is the valueHmac its SecretSet record holds.
        var hash = shell.Run($"Get-VaultAuditHash vta ([pscredential]::new('{secrets[2]}', (ConvertTo-SecureString '{secrets[0]}' -AsPlainText -Force)))").Succeeded().Single().ToString();
        var sets = shell.Run("Get-VaultAuditLog vta -OperationName SecretSet | ForEach-Object { $_.Properties | ConvertTo-Json -Compress }").Succeeded().Output;
        Assert.Single(sets, o => o.ToString().Contains(hash));
    }

    [Fact]
    public void TypesRoundTripInASeparatePwshProcess()
    {
        shell.Run(SetAll).Succeeded();
        var result = PwshProcess.Command(shell.Home, """
            $c = Get-VaultSecret vta cred -AsCredential
            $b = Get-VaultSecret vta bytes -AsByteArray
            $h = Get-VaultSecret vta cfg -AsHashtable -AsPlainText
            Get-VaultSecret vta cred | Set-VaultSecret -VaultName vtb
            $copy = Get-VaultSecret vtb cred -AsCredential
            "$($c.GetType().Name)|$($c.UserName)|$($c.GetNetworkCredential().Password)|$($b.GetType().Name)|$($b -join ',')|$($h.Token)|$($h.Admin.UserName)|$($copy.UserName)|$((Get-VaultSecret vtb cred).SecretType)"
            """);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("PSCredential|svc-user|cred-pw-1|Byte[]|0,1,127,128,255|tok-1|root|svc-user|PSCredential", result.Stdout.Trim());
    }
}
