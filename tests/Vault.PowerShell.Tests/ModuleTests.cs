using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>The module as PowerShell sees it: manifest, exports, output types, load contexts.</summary>
public sealed class ModuleTests : IDisposable
{
    private readonly VaultShell shell = new();

    public void Dispose() => shell.Dispose();

    public static readonly string[] Cmdlets =
    [
        "Backup-VaultSecret", "Export-VaultAuditLog", "Export-VaultKeyring", "Get-Vault", "Get-VaultAuditHash", "Get-VaultAuditHead",
        "Get-VaultAuditLog", "Get-VaultContext", "Get-VaultRoleAssignment", "Get-VaultRoleDefinition",
        "Get-VaultSecret", "Import-VaultKeyring", "Invoke-VaultKeyRotation", "Lock-Vault", "New-Vault", "New-VaultRoleAssignment",
        "New-VaultRoleDefinition", "Register-Vault", "Remove-Vault", "Remove-VaultRoleAssignment", "Remove-VaultRoleDefinition",
        "Remove-VaultSecret", "Restore-VaultSecret", "Set-VaultDefault", "Set-VaultKeyProtector", "Set-VaultSecret",
        "Test-Vault", "Test-VaultAccess", "Test-VaultAuditLog", "Undo-VaultSecretRemoval", "Unlock-Vault", "Unregister-Vault", "Update-Vault", "Update-VaultSecret",
    ];

    [Fact]
    public void TheManifestExportsEveryCmdletByNameAndIsStampedByTheBuild()
    {
        var module = shell.Run("Get-Module Vault").Succeeded().Single();
        Assert.Equal(Repo.Version, module.Properties["Version"].Value.ToString());
        Assert.Equal(Cmdlets, shell.Run("(Get-Command -Module Vault).Name | Sort-Object").Output.Select(o => o.ToString()));

        var manifest = (System.Collections.Hashtable)shell.Run($"Import-PowerShellDataFile '{Repo.Manifest}'").Succeeded().Single().BaseObject;
        Assert.Equal(Cmdlets, ((object[])manifest["CmdletsToExport"]!).Cast<string>().Order());
        Assert.DoesNotContain(((object[])manifest["CmdletsToExport"]!).Cast<string>(), c => c.Contains('*'));
        Assert.Equal(["Core"], ((object[])manifest["CompatiblePSEditions"]!).Cast<string>());
        Assert.Equal("7.6", manifest["PowerShellVersion"]);
    }

    [Fact]
    public void EveryCmdletUsesAnApprovedVerbDeclaresItsOutputAndHasAtMostThreeParameterSets()
    {
        var approved = shell.Run("(Get-Verb).Verb").Output.Select(o => o.ToString()).ToHashSet();
        foreach (var name in Cmdlets)
        {
            var command = (CmdletInfo)shell.Run($"Get-Command {name}").Single().BaseObject;
            Assert.Contains(command.Verb, approved);
            Assert.True(command.ImplementingType.IsSealed, name);
            Assert.Equal(command.Verb + command.Noun + "Command", command.ImplementingType.Name);
            Assert.NotEmpty(command.ImplementingType.GetCustomAttributes(typeof(OutputTypeAttribute), false));
            Assert.InRange(command.ParameterSets.Count, 1, 3);
        }
    }

    [Fact]
    public void OutputTypesAreSeenByTheirFullNamesFromTheDefaultLoadContext()
    {
        var result = shell.Run("""
            New-Vault -Name lc-vault | Out-Null
            Set-VaultSecret -VaultName lc-vault -Name db -SecretValue 'x'
            $types = (Get-Vault -Name lc-vault), (Get-VaultSecret -VaultName lc-vault -Name db), (Get-VaultSecret -VaultName lc-vault)
            foreach ($o in $types) {
                '{0}|{1}' -f $o.PSObject.TypeNames[0], [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($o.GetType().Assembly).Name
            }
            [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'Vault' | ForEach-Object { $_.Assemblies.GetName().Name } | Sort-Object
            """).Succeeded();
        Assert.Equal("Vault.VaultInfo|Default", result.Output[0].ToString());
        Assert.Equal("Vault.VaultSecret|Default", result.Output[1].ToString());
        Assert.Equal("Vault.VaultSecretProperties|Default", result.Output[2].ToString());
        var isolated = result.Output.Skip(3).Select(o => o.ToString()).ToList();
        Assert.Contains("Vault.Core", isolated);
        Assert.Contains("Microsoft.Data.Sqlite", isolated);
        Assert.DoesNotContain("Vault.Model", isolated);
    }

    [Fact]
    public void TheModuleFolderShipsSqliteForFourPlatformsAndNoPowerShellAssembly()
    {
        var files = Directory.EnumerateFiles(Repo.ModuleDir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo.ModuleDir, f).Replace('\\', '/')).ToList();
        Assert.Contains("bin/private/runtimes/linux-x64/native/libe_sqlite3.so", files);
        Assert.Contains("bin/private/runtimes/win-x64/native/e_sqlite3.dll", files);
        Assert.Contains("bin/private/runtimes/osx-x64/native/libe_sqlite3.dylib", files);
        Assert.Contains("bin/private/runtimes/osx-arm64/native/libe_sqlite3.dylib", files);
        Assert.DoesNotContain(files, f => f.EndsWith("System.Management.Automation.dll", StringComparison.Ordinal));
        Assert.Contains("Vault.format.ps1xml", files);
        Assert.Contains("Vault.types.ps1xml", files);
        Assert.Contains("en-US/about_Vault.help.txt", files);
    }

    [Fact]
    public void ImportingTwiceAndForceReimportKeepWorking()
    {
        shell.Run($"Import-Module '{Repo.Manifest}' -Force; New-Vault -Name re-vault | Out-Null; Set-VaultSecret re-vault db 'v'").Succeeded();
        Assert.Equal("v", shell.Run("Get-VaultSecret re-vault db -AsPlainText").Succeeded().Single().ToString());
    }
}
