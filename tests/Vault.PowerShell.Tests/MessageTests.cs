using System.Text.Json;

namespace Vault.PowerShell.Tests;

/// <summary>The words users found misleading, as the cmdlets now say them.</summary>
public sealed class MessageTests : IDisposable
{
    private readonly VaultShell shell = new();

    public MessageTests() => shell.Run("New-Vault msg-vault | Out-Null; Set-VaultSecret msg-vault db 'v'; Get-VaultSecret msg-vault db | Out-Null").Succeeded();

    public void Dispose() => shell.Dispose();

    [Fact]
    public void RegisteringAMissingFileSuggestsNoRegistrationToUndo()
    {
        var path = Path.Combine(shell.Home, "none.vault");
        var error = shell.Fails($"Register-Vault -Path '{path}'", "VaultFileNotFound", terminating: true);
        Assert.DoesNotContain("Unregister-Vault", error.Exception.Message);
        Assert.Contains($"Test-Path '{path}'", error.Exception.Message);
    }

    [Fact]
    public void ALibraryThatIsNotPkcs11GivesWholeSentences()
    {
        var error = shell.Fails("New-Vault pkcs-vault -KeyProtector Pkcs11 -Pkcs11Library /lib/x86_64-linux-gnu/libc.so.6 -TokenLabel t -Pin (ConvertTo-SecureString 1234 -AsPlainText -Force)", "HsmLibraryNotFound", terminating: true);
        // The loader's reason, whatever it is, ends its sentence before the next step begins.
        Assert.Matches(@"cannot be loaded: .+[.!?] Give -Pkcs11Library", error.Exception.Message);
        Assert.DoesNotMatch(@"[a-z0-9] Give -Pkcs11Library", error.Exception.Message);
    }

    [Fact]
    public void TestVaultAuditLogSaysWhetherAHeadWasGiven()
    {
        var alone = shell.Run("(Test-VaultAuditLog msg-vault).Message").Succeeded().Single().ToString();
        Assert.DoesNotContain("the head matches", alone);
        Assert.Contains("No -ExpectedHead was given", alone);
        var anchored = shell.Run("$head = Get-VaultAuditHead msg-vault; (Test-VaultAuditLog msg-vault -ExpectedHead $head).Message").Succeeded().Single().ToString();
        Assert.DoesNotContain("No -ExpectedHead", anchored);
        Assert.Matches(@"It reaches the anchored head \d+\.", anchored);
    }

    [Fact]
    public void TheCallerFilterIsCallerNameAndPrincipalNameStillWorks()
    {
        var byCaller = shell.Run("(Get-VaultAuditLog msg-vault -CallerName (Get-VaultContext).PrincipalName -OperationName SecretSet).Count").Succeeded().Single().ToString();
        var byPrincipal = shell.Run("(Get-VaultAuditLog msg-vault -PrincipalName (Get-VaultContext).PrincipalName -OperationName SecretSet).Count").Succeeded().Single().ToString();
        Assert.Equal(("1", "1"), (byCaller, byPrincipal));
        Assert.Equal("0", shell.Run("@(Get-VaultAuditLog msg-vault -CallerName uid:4242).Count").Succeeded().Single().ToString());
    }

    [Fact]
    public void ConvertToJsonWritesTheResultTypeByNameAndThePropertiesAsAnObject()
    {
        var json = shell.Run("Get-VaultAuditLog msg-vault -OperationName SecretSet | ConvertTo-Json -Depth 3").Succeeded().Single().ToString();
        var record = JsonDocument.Parse(json).RootElement;
        Assert.Equal("Success", record.GetProperty("ResultType").GetString());
        Assert.Equal(JsonValueKind.Object, record.GetProperty("Properties").ValueKind);
        Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", record.GetProperty("Properties").GetProperty("valueHmac").GetString());
        // And a script reads a property by name.
        Assert.Equal(record.GetProperty("Properties").GetProperty("valueHmac").GetString(),
            shell.Run("(Get-VaultAuditLog msg-vault -OperationName SecretSet).Properties.valueHmac").Succeeded().Single().ToString());
    }
}
