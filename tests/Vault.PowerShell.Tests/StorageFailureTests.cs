using System.Diagnostics;
using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>
/// What a user meets when the disk lets Vault down, on real file systems: a Vault home on a tmpfs
/// remounted read-only (what a read-only folder is to root, who ignores permissions; CI runs as
/// root), a Vault home on a 2 MiB tmpfs filled to the last byte, a vault file with pages
/// overwritten in the middle, and a file to write into a folder that does not exist. Each is its
/// own error, with its cause and its next step, and never a file system exception.
/// </summary>
public sealed class StorageFailureTests : IDisposable
{
    private readonly VaultShell shell = new();
    private readonly List<string> mounts = [];

    public void Dispose()
    {
        // Let go of every vault file first (a mounted file system that is in use cannot be unmounted).
        foreach (var mount in mounts)
        {
            Sh("mount", "-o", "remount,rw", mount);
        }

        shell.Run("Get-Vault | Where-Object Status -eq Ok | Remove-Vault -Force; Get-Vault | Unregister-Vault");
        foreach (var mount in mounts)
        {
            Sh("umount", "-l", mount);
        }

        shell.Dispose();
    }

    /// <summary>A tmpfs of <paramref name="size"/> at <paramref name="folder"/>, unmounted by Dispose.</summary>
    private void Mount(string folder, string size)
    {
        Assert.True(Sh("id", "-u").Trim() == "0", "These tests mount file systems, so they run as root (CI does).");
        Directory.CreateDirectory(folder);
        Sh("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", folder);
        mounts.Add(folder);
        Assert.Contains($" {folder} type tmpfs", Sh("mount"));
    }

    [Fact]
    public void AReadOnlyHomeSaysReadsNeedWriteAccessAndWhere()
    {
        Mount(shell.Home, "16m");
        // Made by another process, which closes it: a file system with a file open for writing cannot be made read-only.
        Made(PwshProcess.Command(shell.Home, "New-Vault ro-vault | Out-Null; Set-VaultSecret ro-vault db 'db-value'"));
        var folder = Path.Combine(shell.Home, "vaults");
        Sh("mount", "-o", "remount,ro", shell.Home);

        foreach (var (command, id) in new[]
        {
            ("Get-VaultSecret ro-vault db -AsPlainText", "VaultReadOnly"),
            ("Get-VaultSecret ro-vault", "VaultReadOnly"),
            ("Set-VaultSecret ro-vault db 'other'", "VaultReadOnly"),
            ("Get-VaultAuditLog ro-vault", "VaultReadOnly"),
        })
        {
            var error = shell.Fails(command, id, terminating: true);
            Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
            Assert.Contains("reads included", error.Exception.Message);
            Assert.Contains($"the folder '{folder}'", error.Exception.Message);
            Assert.Contains("Vault 'ro-vault'", error.Exception.Message);
            Assert.DoesNotContain("SQLite Error", error.Exception.Message);
        }

        // The registry: no raw IOException, and no 30 seconds spent waiting for a lock that will never come.
        foreach (var command in new[] { "New-Vault other-vault", "Set-VaultDefault ro-vault", "Unregister-Vault ro-vault" })
        {
            var watch = Stopwatch.StartNew();
            var error = shell.Fails(command, "VaultHomeReadOnly", terminating: true);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{command} took {watch.Elapsed}");
            Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
            Assert.Equal(shell.Home, error.TargetObject);
            Assert.Contains("$env:VAULT_HOME", error.Exception.Message);
        }

        // Get-Vault lists it, with the reason, and writes no error.
        var listed = shell.Run("Get-Vault").Succeeded().Single();
        Assert.Equal("ReadOnly", listed.Properties["Status"].Value.ToString());
        Assert.Equal("VaultReadOnly", listed.Properties["StatusErrorId"].Value);

        // Writable again, everything works, and the value is intact.
        Sh("mount", "-o", "remount,rw", shell.Home);
        Assert.Equal("db-value", shell.Run("Get-VaultSecret ro-vault db -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void AFullDiskIsVaultDiskFullAndTheOutputLeavesNothingBehind()
    {
        Mount(shell.Home, "2m");
        shell.Run("New-Vault full-vault | Out-Null; Set-VaultSecret full-vault db 'db-value'").Succeeded();
        // A vault elsewhere, to write a backup onto the full disk from.
        var elsewhere = Path.Combine(Path.GetTempPath(), "vault-pstests", "elsewhere-" + Guid.NewGuid().ToString("N"), "other.vault");
        shell.Run($"New-Vault other-vault -Path '{elsewhere}' | Out-Null; Set-VaultSecret other-vault db 'v'").Succeeded();
        var filler = Path.Combine(shell.Home, "filler");
        Fill(filler);

        foreach (var command in new[] { "Get-VaultSecret full-vault db -AsPlainText", "Set-VaultSecret full-vault x ('y' * 20000)" })
        {
            var error = shell.Fails(command, "VaultDiskFull", terminating: true);
            Assert.Equal(ErrorCategory.WriteError, error.CategoryInfo.Category);
            Assert.Contains("is full", error.Exception.Message);
            Assert.Contains("reads included", error.Exception.Message);
            Assert.DoesNotContain("disk I/O error", error.Exception.Message);
        }

        var home = shell.Fails("Set-VaultDefault full-vault", "VaultHomeDiskFull", terminating: true);
        Assert.Equal(ErrorCategory.WriteError, home.CategoryInfo.Category);

        var output = Path.Combine(shell.Home, "db.backup");
        var backup = shell.Fails($"Backup-VaultSecret other-vault db '{output}'", "OutputDiskFull", terminating: false);
        Assert.Equal(output, backup.TargetObject);
        Assert.DoesNotContain(".tmp", backup.ToString() + backup.Exception);
        Assert.Equal(["filler", "vaults", "vaults.json", "vaults.json.lock"], Directory.EnumerateFileSystemEntries(shell.Home).Select(Path.GetFileName).Order());

        // Room again: everything works, nothing was lost.
        File.Delete(filler);
        Assert.Equal("db-value", shell.Run("Get-VaultSecret full-vault db -AsPlainText").Succeeded().Single().BaseObject);
        shell.Run($"Backup-VaultSecret other-vault db '{output}' | Out-Null").Succeeded();
        shell.Run("Remove-Vault other-vault -Force").Succeeded();
        Directory.Delete(Path.GetDirectoryName(elsewhere)!, recursive: true);
    }

    [Fact]
    public void ADamagedVaultIsListedAsDamagedAndRemoveVaultForceRemovesIt()
    {
        // Made by another process: closing the file at its exit folds the WAL into it.
        Made(PwshProcess.Command(shell.Home, "New-Vault dmg-vault | Out-Null; 1..30 | ForEach-Object { Set-VaultSecret dmg-vault \"s$_\" ('x' * 2000) }; New-Vault fine-vault | Out-Null"));
        var path = Path.Combine(shell.Home, "vaults", "dmg-vault.vault");
        Assert.False(File.Exists(path + "-wal"));
        Damage(path);

        var listed = shell.Run("Get-Vault").Succeeded();
        Assert.Equal(["Damaged", "Ok"], listed.Output.Select(o => o.Properties["Status"].Value.ToString()));
        Assert.Equal("VaultDamaged", listed.Output[0].Properties["StatusErrorId"].Value);
        Assert.Equal(path, listed.Output[0].Properties["Path"].Value);

        var read = shell.Fails("Get-VaultSecret dmg-vault s1 -AsPlainText", "VaultDamaged", terminating: true);
        Assert.Equal(ErrorCategory.InvalidData, read.CategoryInfo.Category);
        Assert.Equal(path, read.TargetObject);
        Assert.Contains("Remove-Vault -Name 'dmg-vault' -Force", read.Exception.Message);
        Assert.DoesNotContain("malformed", read.Exception.Message);

        // Without -Force it is refused (a confirmation is not enough), and the files stay.
        shell.Fails("Remove-Vault dmg-vault -Confirm:$false", "VaultDamaged", terminating: true);
        Assert.True(File.Exists(path) && File.Exists(path + ".key"));

        var removed = shell.Run("Remove-Vault dmg-vault -Force").Succeeded();
        Assert.Contains("was damaged", Assert.Single(removed.Warnings).Message);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "dmg-vault.*"));
        Assert.Equal(["fine-vault"], shell.Run("Get-Vault").Succeeded().Output.Select(o => o.Properties["VaultName"].Value));
    }

    [Theory]
    [InlineData("Backup-VaultSecret out-vault db -OutputFile '{0}'", "-OutputFile")]
    [InlineData("Export-VaultAuditLog out-vault -Path '{0}'", "-Path")]
    [InlineData("Export-VaultKeyring out-vault -OutputFile '{0}' -Password (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force)", "-OutputFile")]
    public void AMissingOutputFolderIsTheSameErrorWithAndWithoutWhatIf(string command, string parameter)
    {
        shell.Run("New-Vault out-vault | Out-Null; Set-VaultSecret out-vault db 'v'").Succeeded();
        var folder = Path.Combine(shell.Home, "no-such-folder");
        var file = Path.Combine(folder, "out.file");
        var line = string.Format(System.Globalization.CultureInfo.InvariantCulture, command, file);

        var real = shell.Fails(line, "OutputFolderNotFound", terminating: false);
        var whatIf = shell.Fails(line + " -WhatIf", "OutputFolderNotFound", terminating: false);
        Assert.DoesNotContain("What if:", shell.Host.Text);
        foreach (var error in new[] { real, whatIf })
        {
            Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
            Assert.Equal(file, error.TargetObject);
            Assert.Contains($"The folder '{folder}' does not exist", error.Exception.Message);
            Assert.Contains(parameter, error.Exception.Message);
            Assert.DoesNotContain(".tmp", error.ToString() + error.Exception);
        }

        Assert.Equal(real.FullyQualifiedErrorId, whatIf.FullyQualifiedErrorId);
        Assert.Equal(real.Exception.Message, whatIf.Exception.Message);
        Assert.False(Directory.Exists(folder));
    }

    private static void Made(PwshProcess.Result result) =>
        Assert.True(result.ExitCode == 0 && result.Stderr.Length == 0, result.Stderr + result.Stdout);

    /// <summary>Fills the file system that holds <paramref name="filler"/> to the last byte.</summary>
    private static void Fill(string filler)
    {
        using var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. Now byte by byte, for the last block.
        }

        try
        {
            while (true)
            {
                stream.Write(chunk, 0, 512);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
        }

        Assert.Equal(0, new DriveInfo(Path.GetDirectoryName(filler)!).AvailableFreeSpace);
    }

    /// <summary>Overwrites every page of a SQLite file but the first (the header and the schema) and the last with noise.</summary>
    private static void Damage(string path)
    {
        const int Page = 4096;
        var length = new FileInfo(path).Length;
        Assert.True(length >= 8 * Page, $"the vault file is only {length} bytes");
        var noise = new byte[length - (3 * Page)];
        new Random(8).NextBytes(noise);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = 2 * Page;
        stream.Write(noise);
    }

    private static string Sh(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {stderr}");
        return stdout;
    }
}
