using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Pipelines of many secrets, or of one secret's versions, into the cmdlets that act on a secret:
/// every backup gets a file of its own or is refused before it overwrites another, and a secret piped
/// once per version is acted on once. And versions, which compare case-insensitively as names do.
/// </summary>
public sealed class PipelineTests : IDisposable
{
    private readonly VaultShell shell = new();

    public PipelineTests() => shell.Run("""
        New-Vault app-vault | Out-Null; New-Vault web-vault | Out-Null
        Set-VaultSecret app-vault Database 'db-1'; Set-VaultSecret app-vault Database 'db-2'
        Set-VaultSecret app-vault api-key 'api-1'; Set-VaultSecret app-vault Cache 'cache-1'
        Set-VaultSecret web-vault Database 'web-db'
        """).Succeeded();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private string Folder(string name)
    {
        var folder = Path.Combine(shell.Home, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

    [Fact]
    public void ManySecretsGoIntoAFolderOneFileEachAndEachRestoresItsOwnSecret()
    {
        var folder = Folder("backups");
        var files = shell.Run($"Get-Vault | Get-VaultSecret | Backup-VaultSecret -OutputFolder '{folder}'").Succeeded().Output;

        // The same secret name in two vaults: a file each, named by vault and secret as they are stored.
        Assert.Equal(
            ["app-vault.api-key.blob", "app-vault.Cache.blob", "app-vault.Database.blob", "web-vault.Database.blob"],
            files.Select(f => Prop<string>(f, "Name")).Order(StringComparer.OrdinalIgnoreCase));
        Assert.All(files, f => Assert.Equal(folder, Path.GetDirectoryName(Prop<string>(f, "FullName"))));
        Assert.Equal(4, Directory.EnumerateFiles(folder).Count());
        VaultFiles.AssertNoPlaintext(shell.Home, ["db-1", "db-2", "api-1", "cache-1", "web-db"]);

        // Each file holds its own secret, every version of it.
        shell.Run("Get-VaultSecret app-vault | Remove-VaultSecret -Force; Get-VaultSecret app-vault -InRemovedState | Remove-VaultSecret -InRemovedState -Force").Succeeded();
        var restored = shell.Run($"Get-ChildItem '{folder}' -Filter 'app-vault.*' | Restore-VaultSecret -VaultName app-vault").Succeeded().Output;
        Assert.Equal(["api-key", "Cache", "Database"], restored.Select(r => Prop<string>(r, "Name")).Order(StringComparer.OrdinalIgnoreCase));
        Assert.Equal("db-2", shell.Run("Get-VaultSecret app-vault Database -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal(2, shell.Run("Get-VaultSecret app-vault Database -IncludeVersions").Succeeded().Output.Count);
        Assert.Equal("cache-1", shell.Run("Get-VaultSecret app-vault cache -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void AFolderOfBackupsIsNotOverwrittenWithoutForce()
    {
        var folder = Folder("backups");
        shell.Run($"Get-VaultSecret app-vault | Backup-VaultSecret -OutputFolder '{folder}'").Succeeded();
        var before = Files(folder);

        // A name typed in another case is the same secret, so the same file.
        var again = shell.Run($"'database', 'API-KEY' | ForEach-Object {{ Backup-VaultSecret app-vault $_ -OutputFolder '{folder}' }}");
        Assert.Equal(["OutputFileExists", "OutputFileExists"], again.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Equal(Path.Combine(folder, "app-vault.Database.blob"), again.Errors[0].TargetObject);
        Assert.Empty(again.Output);
        Assert.Equal(before.Keys, Files(folder).Keys);
        Assert.All(Files(folder), f => Assert.Equal(before[f.Key], f.Value));

        // -Force replaces what an earlier run wrote; nothing else appears.
        Assert.Equal(3, shell.Run($"Get-VaultSecret app-vault | Backup-VaultSecret -OutputFolder '{folder}' -Force").Succeeded().Output.Count);
        Assert.Equal(before.Keys.Order(), Files(folder).Keys.Order());
        Assert.NotEqual(before["app-vault.Database.blob"], Files(folder)["app-vault.Database.blob"]);
    }

    [Fact]
    public void OneOutputFileForManySecretsIsRefusedBeforeTheFirstBackupIsOverwritten()
    {
        var folder = Folder("one-file");
        var file = Path.Combine(folder, "all.blob");
        var first = shell.Run("Get-VaultSecret app-vault | Select-Object -First 1").Succeeded().Single();
        var firstName = Prop<string>(first, "Name");
        var second = shell.Run("Get-VaultSecret app-vault | Select-Object -Skip 1 -First 1").Succeeded().Single();

        var error = shell.Fails($"Get-VaultSecret -VaultName app-vault | Backup-VaultSecret -OutputFile '{file}' -Force", "OutputFileForManySecrets", terminating: true);
        Assert.Equal("OutputFileForManySecrets,Vault.PowerShell.Commands.BackupVaultSecretCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal($"vault://app-vault/secrets/{Prop<string>(second, "Name")}", error.TargetObject);
        Assert.Contains("-OutputFolder", error.Exception.Message);
        Assert.Contains(file, error.Exception.Message);

        // The file holds the first secret's backup, whole: it restores that secret.
        Assert.Equal(["all.blob"], Files(folder).Keys);
        shell.Run($"Remove-VaultSecret app-vault {firstName} -Force; Remove-VaultSecret app-vault {firstName} -InRemovedState -Force").Succeeded();
        var restored = shell.Run($"Restore-VaultSecret app-vault '{file}'").Succeeded().Single();
        Assert.Equal(firstName, Prop<string>(restored, "Name"));

        // -WhatIf reports the first and refuses the second alike, and writes nothing.
        File.Delete(file);
        var whatIf = shell.Run($"try {{ Get-VaultSecret -VaultName app-vault | Backup-VaultSecret -OutputFile '{file}' -WhatIf }} catch {{ $_.FullyQualifiedErrorId }}");
        Assert.Equal("OutputFileForManySecrets,Vault.PowerShell.Commands.BackupVaultSecretCommand", Assert.Single(whatIf.Output).BaseObject);
        Assert.Single(whatIf.HostText.Split('\n'), l => l.StartsWith("What if:", StringComparison.Ordinal));
        Assert.Empty(Files(folder));
    }

    [Fact]
    public void EveryVersionPipedToRemoveRemovesTheSecretOnce()
    {
        shell.Run("Set-VaultSecret app-vault Database 'db-3'").Succeeded();
        var result = shell.Run("Get-VaultSecret app-vault Database -IncludeVersions | Remove-VaultSecret -Force -PassThru -Verbose").Succeeded();
        Assert.Equal("Database", Prop<string>(result.Single(), "Name"));
        Assert.Equal(2, result.Verbose.Count(v => v.Message.Contains("handled earlier in this pipeline", StringComparison.Ordinal)));
        Assert.Equal("Database", Prop<string>(shell.Run("Get-VaultSecret app-vault -InRemovedState").Succeeded().Single(), "Name"));
        var deletes = shell.Run("Get-VaultAuditLog app-vault -OperationName SecretDelete").Succeeded().Output;
        Assert.Equal("Success", Assert.Single(deletes).Properties["ResultType"].Value.ToString());

        // Purged once too, and a name repeated in another case is the same secret.
        shell.Run("'Database', 'DATABASE' | ForEach-Object { [pscustomobject]@{ Name = $_ } } | Remove-VaultSecret -VaultName app-vault -InRemovedState -Force").Succeeded();
        Assert.Empty(shell.Run("Get-VaultSecret app-vault -InRemovedState").Succeeded().Output);
    }

    [Fact]
    public void EveryVersionPipedToRemoveAsksOnceAndPipedToBackupWritesOneFile()
    {
        shell.Host.ConfirmAnswer = "No";
        shell.Run("Get-VaultSecret app-vault Database -IncludeVersions | Remove-VaultSecret").Succeeded();
        Assert.Single(shell.Host.Prompts);
        Assert.Equal(2, shell.Run("Get-VaultSecret app-vault Database -IncludeVersions").Succeeded().Output.Count);

        var file = Path.Combine(Folder("one"), "db.blob");
        var written = shell.Run($"Get-VaultSecret app-vault Database -IncludeVersions | Backup-VaultSecret -OutputFile '{file}'").Succeeded();
        Assert.Equal(file, Prop<string>(written.Single(), "FullName"));
    }

    [Fact]
    public void VersionsCompareCaseInsensitivelyAndComeBackInLowerCase()
    {
        var versions = shell.Run("Get-VaultSecret app-vault Database -IncludeVersions").Succeeded().Output.Select(v => Prop<string>(v, "Version")).ToList();
        var older = versions[1];
        Assert.Matches("^[0-9a-f]{32}$", older);
        var upper = older.ToUpperInvariant();

        Assert.Equal("db-1", shell.Run($"Get-VaultSecret app-vault Database -Version {upper} -AsPlainText").Succeeded().Single().BaseObject);
        var byId = shell.Run($"Get-VaultSecret -Id 'vault://app-vault/secrets/database/{upper}'").Succeeded().Single();
        Assert.Equal(older, Prop<string>(byId, "Version"));

        var updated = shell.Run($"Update-VaultSecret app-vault Database -Version {upper} -ContentType 'text/plain' -PassThru").Succeeded().Single();
        Assert.Equal(older, Prop<string>(updated, "Version"));
        Assert.Equal("text/plain", Prop<string>(shell.Run($"Get-VaultSecret app-vault Database -Version {older}").Succeeded().Single(), "ContentType"));
        Assert.Contains($"vault://app-vault/secrets/Database/{older}", shell.Run($"Update-VaultSecret app-vault Database -Version {upper} -Enable $false -WhatIf").Succeeded().HostText);

        // Still refused: what is not 32 hex characters, and a version the secret does not have.
        shell.Fails("Get-VaultSecret app-vault Database -Version 'NOT-HEX'", "InvalidSecretVersion", terminating: true);
        shell.Fails($"Update-VaultSecret app-vault Database -Version 'G{upper[1..]}' -Enable $false", "InvalidSecretVersion", terminating: true);
        var missing = shell.Fails("Get-VaultSecret app-vault Database -Version 0123456789ABCDEF0123456789ABCDEF", "SecretVersionNotFound", terminating: false);
        Assert.Contains("0123456789abcdef0123456789abcdef", missing.Exception.Message);
    }
}
