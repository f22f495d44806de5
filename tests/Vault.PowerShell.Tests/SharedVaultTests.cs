using System.Diagnostics;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Two real operating-system accounts share one vault, set up exactly as about_Vault_RBAC's recipe for
/// a shared embedded vault says. This test process (root, as CI runs) creates a second account and a
/// group; the second account runs its own pwsh, with copies of pwsh and the module outside root's home, and is
/// refused until it is granted a role.
/// </summary>
public sealed class SharedVaultTests : IDisposable
{
    private readonly string suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string group;
    private readonly string member;
    private readonly string shared;
    private readonly string memberHome;
    private readonly VaultShell shell = new();

    public SharedVaultTests()
    {
        Assert.True(Sh("id", "-u").Trim() == "0", "This test makes a second account, so it runs as root (CI does).");
        group = "vault-team-" + suffix;
        member = "vault-member-" + suffix;
        shared = Path.Combine(Path.GetTempPath(), "vault-shared-" + suffix);
        memberHome = Path.Combine(Path.GetTempPath(), "vault-member-home-" + suffix);

        // The recipe: a group for the team, each member in it, a setgid folder the group owns.
        Sh("groupadd", group);
        Sh("useradd", "--no-create-home", "--gid", group, "--shell", "/usr/sbin/nologin", member);
        Sh("install", "-d", "-m", "2770", "-o", "root", "-g", group, shared);
        Sh("install", "-d", "-m", "0700", "-o", member, "-g", group, memberHome);

        // The module and pwsh outside root's home and the clone (either may sit in a folder only root
        // can enter, such as one mktemp -d made), readable by the member.
        Sh("cp", "-r", Repo.ModuleDir, Path.Combine(shared, "module"));
        Sh("cp", "-r", Path.GetDirectoryName(Repo.PwshHost)!, Path.Combine(shared, "pwsh"));
        Sh("chmod", "-R", "g+rX", Path.Combine(shared, "module"), Path.Combine(shared, "pwsh"));
    }

    public void Dispose()
    {
        shell.Dispose();
        Sh("userdel", member);
        Sh("groupdel", group);
        Directory.Delete(shared, recursive: true);
        Directory.Delete(memberHome, recursive: true);
    }

    [Fact]
    public void TheSecondAccountIsRefusedUntilGrantedAndThenOnlyWhatItWasGranted()
    {
        var vaultFile = Path.Combine(shared, "team.vault");
        shell.Run($"New-Vault -Name team -Path '{vaultFile}' | Out-Null; 'db', 'app1-db', 'app1-api' | ForEach-Object {{ Set-VaultSecret team $_ \"$_-value\" }}").Succeeded();
        // The recipe, as about_Vault_RBAC writes it: everything read-write for the group, then the key read-only.
        Sh("sh", "-c", $"chmod 660 '{vaultFile}'* && chmod 640 '{vaultFile}.key'");
        Assert.Equal(group, Sh("stat", "-c", "%G", vaultFile).Trim());

        var register = AsMember($"Register-Vault -Path '{vaultFile}' -PassThru | ForEach-Object VaultName");
        Assert.Equal("team", register.Trim());

        var refused = AsMember("Get-VaultSecret -VaultName team -Name app1-db -AsPlainText");
        Assert.Contains("AccessDenied,Vault.PowerShell.Commands.GetVaultSecretCommand", refused);
        Assert.Contains($"{member} (uid:{Sh("id", "-u", member).Trim()})", refused);
        Assert.Contains("Vault/secrets/getSecret/action", refused);
        Assert.Equal(string.Empty, AsMember("Get-VaultSecret -VaultName team | ForEach-Object Name").Trim());

        shell.Run($"New-VaultRoleAssignment team -PrincipalName {member} -RoleDefinitionName 'Vault Secrets User' -Scope '/secrets/app1-*' | Out-Null").Succeeded();
        Assert.Equal("app1-db-value", AsMember("Get-VaultSecret -VaultName team -Name app1-db -AsPlainText").Trim());
        // A role anywhere in the vault is enough to see it; a role at a secret scope never changes it.
        Assert.Equal("team", AsMember("Get-Vault -Name team | ForEach-Object VaultName").Trim());
        Assert.Contains("AccessDenied,Vault.PowerShell.Commands.UpdateVaultCommand", AsMember("Update-Vault -Name team -SoftDeleteRetentionInDays 30"));
        Assert.Equal("app1-api,app1-db", AsMember("(Get-VaultSecret -VaultName team | ForEach-Object Name) -join ','").Trim());
        Assert.Contains("AccessDenied", AsMember("Get-VaultSecret -VaultName team -Name db -AsPlainText"));
        Assert.Contains("AccessDenied", AsMember("Set-VaultSecret -VaultName team -Name app1-db -SecretValue 'mine'"));

        // Through the group, as the recipe's alternative says.
        shell.Run($"New-VaultRoleAssignment team -PrincipalName {group} -PrincipalType Group -RoleDefinitionName 'Vault Secrets Officer' | Out-Null").Succeeded();
        AsMember("Set-VaultSecret -VaultName team -Name db -SecretValue 'written-by-the-member'");
        Assert.Equal("written-by-the-member", shell.Run("Get-VaultSecret team db -AsPlainText").Succeeded().Single().BaseObject);
    }

    /// <summary>Runs a command line in the member's own pwsh process; returns its output and any error's id and message.</summary>
    private string AsMember(string command)
    {
        var script = $"$ErrorActionPreference = 'Stop'; Import-Module '{Path.Combine(shared, "module", "Vault.psd1")}'; " +
            $"try {{ {command} }} catch {{ \"$($_.FullyQualifiedErrorId): $($_.Exception.Message)\" }}";
        var (_, stdout, stderr) = Start("runuser", memberHome,
            "-u", member, "--", "env", $"HOME={memberHome}", $"VAULT_HOME={memberHome}", "DOTNET_CLI_HOME=" + memberHome, "NO_COLOR=1",
            "dotnet", Path.Combine(shared, "pwsh", Path.GetFileName(Repo.PwshHost)), "-NoProfile", "-NonInteractive", "-Command", script);
        return stdout + stderr;
    }

    private static string Sh(string file, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = Start(file, null, arguments);
        Assert.True(exitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {stderr}");
        return stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) Start(string file, string? workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{file} hung");
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.ToString());
    }
}
