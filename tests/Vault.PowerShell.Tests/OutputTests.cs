namespace Vault.PowerShell.Tests;

/// <summary>What users see: one format view per output type, and no secret value in any stream or file.</summary>
public sealed class OutputTests : IDisposable
{
    private const string Value = "Marker-Secret-Value-9c41-пароль";
    private readonly VaultShell shell = new();

    public OutputTests() => shell.Run($"New-Vault out-vault | Out-Null; Set-VaultSecret out-vault db '{Value}' -ContentType 'text/plain' -Tag @{{ env = 'dev'; app = 'web' }}").Succeeded();

    public void Dispose() => shell.Dispose();

    private string Formatted(string command) => string.Join("\n", shell.Run($"{command} | Out-String -Width 200").Succeeded().Output.Select(o => o.ToString()));

    [Fact]
    public void ASecretShowsAsAListWithItsValueHidden()
    {
        var text = Formatted("Get-VaultSecret out-vault db");
        Assert.Contains("SecretValue : System.Security.SecureString", text);
        Assert.Contains("Tags        : app=web; env=dev", text);
        Assert.Contains("Id          : vault://out-vault/secrets/db/", text);
        Assert.DoesNotContain(Value, text);
        Assert.DoesNotContain(Value, Formatted("Get-VaultSecret out-vault db | Format-List *"));
        Assert.DoesNotContain(Value, Formatted("Get-VaultSecret out-vault db | Format-Table *"));
    }

    [Fact]
    public void ListingsShowAsTables()
    {
        Assert.Matches(@"Enabled\s+Expires\s+Updated\s+ContentType\s+Name", Formatted("Get-VaultSecret out-vault"));
        Assert.Matches(@"Version\s+Enabled\s+Created\s+Expires\s+Updated", Formatted("Get-VaultSecret out-vault db -IncludeVersions"));
        Assert.Matches(@"VaultName\s+Default\s+KeyProtector\s+Retention\s+PurgeProtection\s+Status\s+Path", Formatted("Get-Vault"));
        Assert.Contains("90 days", Formatted("Get-Vault"));
        shell.Run("Remove-VaultSecret out-vault db -Force").Succeeded();
        Assert.Matches(@"DeletedDate\s+ScheduledPurgeDate\s+ContentType\s+Name", Formatted("Get-VaultSecret out-vault -InRemovedState"));
    }

    [Fact]
    public void NoValueReachesAnyStreamOrFile()
    {
        var blob = Path.Combine(shell.Home, "db.blob");
        var results = new[]
        {
            shell.Run($"Set-VaultSecret out-vault db '{Value}-2' -Verbose -Debug -PassThru"),
            shell.Run("Get-VaultSecret out-vault db -Verbose -Debug"),
            shell.Run("Get-VaultSecret out-vault -Verbose"),
            shell.Run("Get-VaultSecret out-vault db -IncludeVersions -Verbose"),
            shell.Run("Update-VaultSecret out-vault db -Enable $false -Verbose -PassThru"),
            shell.Run("Get-VaultSecret out-vault db -Verbose"),
            shell.Run("Update-VaultSecret out-vault db -Enable $true -Verbose"),
            shell.Run($"Set-VaultSecret out-vault 'bad name' '{Value}' -Verbose"),
            shell.Run($"Set-VaultSecret out-vault big ('{Value}' * 2000) -Verbose"),
            shell.Run($"Backup-VaultSecret out-vault db '{blob}' -Verbose"),
            shell.Run("Remove-VaultSecret out-vault db -Force -Verbose -PassThru"),
            shell.Run($"Set-VaultSecret out-vault db '{Value}-3' -Verbose"),
            shell.Run("Undo-VaultSecretRemoval out-vault db -Verbose"),
            shell.Run($"Set-VaultSecret out-vault db '{Value}-4' -WhatIf"),
        };
        Assert.Contains(results, r => r.Verbose.Count > 0);
        Assert.Contains(results, r => r.Errors.Count > 0 || r.Terminating is not null);
        foreach (var result in results)
        {
            Assert.DoesNotContain(Value, result.AllText());
        }

        VaultFiles.AssertNoPlaintext(shell.Home, [Value, Value + "-2"]);
    }
}
