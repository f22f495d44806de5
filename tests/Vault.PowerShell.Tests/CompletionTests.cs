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

    [Fact]
    public void VersionsCompleteNewestFirstForTheSecretAlreadyTyped()
    {
        shell.Run("Set-VaultSecret web-vault Database 'v2'; Set-VaultSecret web-vault Database 'v3'").Succeeded();
        var versions = shell.Run("(Get-VaultSecret web-vault Database -IncludeVersions).Version").Succeeded().Output.Select(o => o.ToString()).ToList();
        Assert.Equal(3, versions.Count);

        Assert.Equal(versions, Complete("Get-VaultSecret -VaultName web-vault -Name Database -Version "));
        Assert.Equal(versions, Complete("Get-VaultSecret web-vault database -Version "));
        Assert.Equal(versions, Complete("Update-VaultSecret web-vault Database -Version "));
        // A prefix in either case; the default vault when -VaultName is left out.
        var oldest = versions[^1];
        Assert.Contains(oldest, Complete($"Get-VaultSecret -VaultName web-vault -Name Database -Version {oldest[..6].ToUpperInvariant()}"));
        Assert.All(Complete($"Get-VaultSecret -VaultName web-vault -Name Database -Version {oldest[..6]}"), v => Assert.StartsWith(oldest[..6], v));
        var dusty = shell.Run("(Get-VaultSecret app-vault Dusty -IncludeVersions).Version").Succeeded().Single().ToString();
        Assert.Equal([dusty], Complete("Get-VaultSecret -Name Dusty -Version "));

        // Nothing for a secret that is not there, a deleted one, or no -Name yet.
        Assert.Empty(Complete("Get-VaultSecret -VaultName web-vault -Name Nope -Version "));
        Assert.Empty(Complete("Get-VaultSecret -VaultName web-vault -Name Deleted-One -Version "));
        Assert.Empty(Complete("Update-VaultSecret -VaultName web-vault -Version "));
    }

    [Fact]
    public void RoleNamesCompleteWhereverARoleIsNamed()
    {
        shell.Run("New-VaultRoleDefinition web-vault -Name 'Web Reader' -DataActions 'Vault/vault/read/action' | Out-Null").Succeeded();
        Assert.Equal(["'Vault Reader'"], Complete("Get-VaultRoleDefinition -VaultName web-vault -Name 'Vault R"));
        Assert.Contains("'Web Reader'", Complete("Get-VaultRoleAssignment -VaultName web-vault -RoleDefinitionName "));
        Assert.Contains("'Web Reader'", Complete("Remove-VaultRoleAssignment -VaultName web-vault -RoleDefinitionName W"));
        // Only a custom role can be removed, so only custom roles are offered.
        Assert.Equal(["'Web Reader'"], Complete("Remove-VaultRoleDefinition -VaultName web-vault -Name "));
    }

    [Fact]
    public void PrincipalsCompleteFromTheCallerAndTheVaultsAssignments()
    {
        var me = shell.Run("(Get-VaultContext).PrincipalName").Succeeded().Single().ToString();
        shell.Run("New-VaultRoleAssignment web-vault 'Vault Reader' -PrincipalId uid:4321 | Out-Null").Succeeded();

        Assert.Equal(["uid:4321"], Complete("Remove-VaultRoleAssignment -VaultName web-vault -RoleDefinitionName 'Vault Reader' -PrincipalName uid"));
        var forTest = Complete("Test-VaultAccess -VaultName web-vault -Action Vault/vault/read/action -PrincipalName ");
        Assert.Contains(me, forTest);
        Assert.Contains("uid:4321", forTest);
        Assert.Contains("uid:4321", Complete("Get-VaultRoleAssignment -VaultName web-vault -PrincipalName "));
        // New-VaultRoleAssignment -PrincipalName takes a name the computer knows: an id is not offered there.
        var forNew = Complete("New-VaultRoleAssignment -VaultName web-vault -RoleDefinitionName 'Vault Reader' -PrincipalName ");
        Assert.Contains(me, forNew);
        Assert.DoesNotContain("uid:4321", forNew);
        Assert.Equal([me], Complete($"New-VaultRoleAssignment -VaultName web-vault -RoleDefinitionName 'Vault Reader' -PrincipalName {me[..1]}"));
    }
}
