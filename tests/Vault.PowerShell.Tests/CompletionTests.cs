using System.Management.Automation;

namespace Vault.PowerShell.Tests;

public sealed class CompletionTests : IDisposable
{
    private readonly VaultShell shell = new();

    public CompletionTests() => shell.Run("""
        New-Vault app-vault | Out-Null; New-Vault apex-vault | Out-Null; New-Vault web-vault | Out-Null
        'Database','DbReadOnly','api-key' | ForEach-Object { Set-VaultSecret web-vault $_ 'v' }
        Set-VaultSecret app-vault Dusty 'v'; Set-VaultSecret web-vault Deleted-One 'v'; Remove-VaultSecret web-vault Deleted-One -Force
        """).Succeeded();

    public void Dispose() => shell.Dispose();

    private List<string> Complete(string line) =>
        shell.Run($"(TabExpansion2 -inputScript '{line.Replace("'", "''")}' -cursorColumn {line.Length}).CompletionMatches.CompletionText")
            .Succeeded().Output.Where(o => o is not null).Select(o => o.ToString()).ToList();

    [Fact]
    public void VaultNamesComplete()
    {
        Assert.Equal(["apex-vault", "app-vault"], Complete("Get-VaultSecret -VaultName ap"));
        Assert.Equal(["web-vault"], Complete("Remove-Vault W"));
        Assert.Equal(["apex-vault", "app-vault", "web-vault"], Complete("Get-Vault -Name "));
    }

    [Fact]
    public void SecretNamesCompleteFromTheNamedVaultOrTheDefault()
    {
        Assert.Equal(["Database", "DbReadOnly"], Complete("Get-VaultSecret -VaultName web-vault -Name D"));
        Assert.Equal(["Database", "DbReadOnly"], Complete("Set-VaultSecret web-vault d"));
        Assert.Equal(["Dusty"], Complete("Get-VaultSecret -Name D"));
        Assert.Equal(["Deleted-One"], Complete("Undo-VaultSecretRemoval -VaultName web-vault -Name D"));
        Assert.Equal(["Deleted-One"], Complete("Get-VaultSecret -VaultName web-vault -InRemovedState -Name D"));
        Assert.Empty(Complete("Get-VaultSecret -VaultName no-such-vault -Name D"));
    }

    [Fact]
    public void CompletionNeverUnlocksTheVault()
    {
        // A vault this process has never opened, whose key file is missing: completion lists its
        // names from metadata alone, while reading a value needs the key and fails.
        var path = shell.Run("(Get-Vault web-vault).Path").Single().ToString();
        var copy = Path.Combine(shell.Home, "locked.vault");
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        shell.Run($"Register-Vault '{copy}' -Name locked-vault").Succeeded();

        Assert.Equal(["Database", "DbReadOnly"], Complete("Get-VaultSecret -VaultName locked-vault -Name D"));
        shell.Fails("Get-VaultSecret locked-vault Database", "KeyProtectorUnavailable", terminating: true);
    }
}
