using System.Collections.Concurrent;
using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>The HSM root of trust through the cmdlets, against a real SoftHSM2 token.</summary>
public sealed class HsmCmdletTests : IDisposable
{
    private readonly VaultShell shell = new();
    private readonly string token = SoftHsmTokens.NextToken();

    public HsmCmdletTests()
    {
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", null);
        shell.Run($"$pin = ConvertTo-SecureString '{SoftHsmTokens.Pin}' -AsPlainText -Force; $hsm = @{{ KeyProtector = 'Pkcs11'; Pkcs11Library = '{SoftHsmTokens.Library}'; TokenLabel = '{token}' }}").Succeeded();
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", null);
        shell.Dispose();
    }

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    private PSObject NewHsmVault(string name) =>
        shell.Run($"New-Vault -Name {name} @hsm -Pin $pin").Succeeded().Single();

    [Fact]
    public void AnHsmVaultRoundTripsAndShowsWhereItsRootKeyIs()
    {
        var info = NewHsmVault("hsm-vault");
        Assert.Equal("Pkcs11", Prop<string>(info, "KeyProtector"));
        Assert.Equal(token, Prop<string>(info, "TokenLabel"));
        Assert.False(string.IsNullOrEmpty(Prop<string>(info, "TokenSerial")));
        Assert.Equal("vault-root-hsm-vault", Prop<string>(info, "KeyLabel"));
        Assert.Equal("CKM_AES_KEY_WRAP_PAD", Prop<string>(info, "WrapMechanism"));
        Assert.Equal(SoftHsmTokens.Library, Prop<string>(info, "Pkcs11Library"));
        Assert.True(Prop<bool>(info, "Unlocked"));

        shell.Run("Set-VaultSecret hsm-vault db 'hsm-value'").Succeeded();
        Assert.Equal("hsm-value", shell.Run("Get-VaultSecret hsm-vault db -AsPlainText").Succeeded().Single().BaseObject);
        VaultFiles.AssertNoPlaintext(shell.Home, ["hsm-value", SoftHsmTokens.Pin]);
    }

    [Fact]
    public void NewVaultWithThePinFromTheEnvironmentIsUnlockedAsWithPin()
    {
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", SoftHsmTokens.Pin);
        var info = shell.Run("New-Vault -Name env-vault @hsm").Succeeded().Single();
        Assert.True(Prop<bool>(info, "Unlocked"));
        Assert.True(Prop<bool>(shell.Run("Get-Vault env-vault").Succeeded().Single(), "Unlocked"));

        // Held, not kept: the keyring is in this session, and the variable is read again after Lock-Vault.
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", null);
        shell.Run("Set-VaultSecret env-vault db 'env-made'").Succeeded();
        shell.Run("Lock-Vault env-vault").Succeeded();
        shell.Fails("Get-VaultSecret env-vault db", "KeyProtectorLocked", terminating: true);
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", SoftHsmTokens.Pin);
        Assert.Equal("env-made", shell.Run("Get-VaultSecret env-vault db -AsPlainText").Succeeded().Single().BaseObject);
        VaultFiles.AssertNoPlaintext(shell.Home, ["env-made", SoftHsmTokens.Pin]);
    }

    [Fact]
    public void ALockedVaultSaysHowToUnlockItAndEachWayWorks()
    {
        NewHsmVault("lock-vault");
        shell.Run("Set-VaultSecret lock-vault db 'v'; Lock-Vault lock-vault").Succeeded();
        Assert.False(Prop<bool>(shell.Run("Get-Vault lock-vault").Single(), "Unlocked"));

        var locked = shell.Fails("Get-VaultSecret lock-vault db", "KeyProtectorLocked", terminating: true);
        Assert.Equal(ErrorCategory.ResourceUnavailable, locked.CategoryInfo.Category);
        Assert.Contains("$env:VAULT_PKCS11_PIN", locked.Exception.Message);
        Assert.Contains("Unlock-Vault -VaultName 'lock-vault'", locked.Exception.Message);
        // Every operation opens the keyring for its audit record, so a locked vault refuses even a listing.
        shell.Fails("Get-VaultSecret lock-vault", "KeyProtectorLocked", terminating: true);

        var wrong = shell.Fails("Unlock-Vault lock-vault -Pin (ConvertTo-SecureString 'wrong' -AsPlainText -Force)", "HsmLoginFailed", terminating: true);
        Assert.Equal(ErrorCategory.AuthenticationError, wrong.CategoryInfo.Category);

        Assert.True(Prop<bool>(shell.Run("Unlock-Vault lock-vault -Pin $pin -PassThru").Succeeded().Single(), "Unlocked"));
        Assert.Equal("v", shell.Run("Get-VaultSecret lock-vault db -AsPlainText").Succeeded().Single().BaseObject);

        // An interactive session is asked for the PIN.
        shell.Run("Lock-Vault lock-vault").Succeeded();
        shell.Host.SecureInput = SoftHsmTokens.Pin;
        shell.Run("Unlock-Vault lock-vault").Succeeded();
        Assert.Contains("Unlock-Vault|PIN for the token of vault 'lock-vault'", shell.Host.Prompts);
        Assert.Equal("v", shell.Run("Get-VaultSecret lock-vault db -AsPlainText").Succeeded().Single().BaseObject);

        // A host that cannot ask gets the error, not a wait.
        shell.Run("Lock-Vault lock-vault").Succeeded();
        shell.Host.SecureInput = null;
        shell.Fails("Unlock-Vault lock-vault", "KeyProtectorLocked", terminating: true);

        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", SoftHsmTokens.Pin);
        Assert.Equal("v", shell.Run("Get-VaultSecret lock-vault db -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void CreationFailuresNameWhatIsWrongAndLeaveNothing()
    {
        shell.Fails($"New-Vault bad-lib -KeyProtector Pkcs11 -Pkcs11Library '{Path.Combine(shell.Home, "nope.so")}' -TokenLabel {token} -Pin $pin", "HsmLibraryNotFound", terminating: true);
        shell.Fails($"New-Vault bad-tok -KeyProtector Pkcs11 -Pkcs11Library '{SoftHsmTokens.Library}' -TokenLabel no-such-token -Pin $pin", "HsmTokenNotFound", terminating: true);
        var login = shell.Fails("New-Vault bad-pin @hsm -Pin (ConvertTo-SecureString 'wrong' -AsPlainText -Force)", "HsmLoginFailed", terminating: true);
        Assert.Equal(token, login.TargetObject);
        shell.Fails("New-Vault no-pin @hsm", "InvalidKeyProtectorOptions", terminating: true);
        shell.Fails($"New-Vault no-token -KeyProtector Pkcs11 -Pkcs11Library '{SoftHsmTokens.Library}' -Pin $pin", "InvalidKeyProtectorOptions", terminating: true);
        shell.Fails($"New-Vault mixed-up -TokenLabel {token}", "InvalidKeyProtectorOptions", terminating: true);
        Assert.Empty(shell.Run("Get-Vault").Output);
        Assert.False(Directory.Exists(Path.Combine(shell.Home, "vaults")) && Directory.EnumerateFiles(Path.Combine(shell.Home, "vaults")).Any());
    }

    [Fact]
    public void AVaultWithoutItsHsmOrWithARefusedKeyFailsAndStaysAsItWas()
    {
        NewHsmVault("gone-hsm");
        shell.Run("Set-VaultSecret gone-hsm db 'v'").Succeeded();
        var path = shell.Run("(Get-Vault gone-hsm).Path").Single().ToString();
        shell.Run("Unregister-Vault gone-hsm").Succeeded();

        // A copy whose wrapped keys were altered: the token refuses them.
        var refused = Path.Combine(shell.Home, "refused.vault");
        File.Copy(path, refused);
        File.Copy(path + "-wal", refused + "-wal");
        VaultFiles.Tamper(refused, "UPDATE keyring SET wrapped_key = zeroblob(40);");
        shell.Run($"Register-Vault '{refused}' -Name refused -Pkcs11Library '{SoftHsmTokens.Library}'").Succeeded();
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", SoftHsmTokens.Pin);
        shell.Fails("Get-VaultSecret refused db", "HsmOperationFailed", terminating: true);

        // A copy whose library is not on this machine.
        var elsewhere = Path.Combine(shell.Home, "elsewhere.vault");
        File.Copy(path, elsewhere);
        File.Copy(path + "-wal", elsewhere + "-wal");
        VaultFiles.Tamper(elsewhere, $"UPDATE vault SET key_protector = replace(key_protector, '{SoftHsmTokens.Library}', '/opt/vendor/libpkcs11.so');");
        // Step 6: the library the file names is loaded only once the user trusts it.
        shell.Run($"Register-Vault '{elsewhere}' -Name elsewhere").Succeeded();
        var untrusted = shell.Fails("Get-VaultSecret elsewhere db", "Pkcs11LibraryNotTrusted", terminating: true);
        Assert.Contains("/opt/vendor/libpkcs11.so", untrusted.Exception.Message);
        shell.Run($"Register-Vault '{elsewhere}' -Name elsewhere -Pkcs11Library /opt/vendor/libpkcs11.so -Force").Succeeded();
        var unavailable = shell.Fails("Get-VaultSecret elsewhere db", "KeyProtectorUnavailable", terminating: true);
        Assert.Contains("/opt/vendor/libpkcs11.so", unavailable.Exception.Message);
        shell.Fails("Get-VaultSecret elsewhere", "KeyProtectorUnavailable", terminating: true);
    }

    [Fact]
    public void RotationAddsATermKeepsOldVersionsAndReencryptsWithProgress()
    {
        NewHsmVault("rot-vault");
        shell.Run("1..300 | ForEach-Object { Set-VaultSecret rot-vault (\"s{0}\" -f ($_ % 10)) \"old-$_\" }").Succeeded();

        var whatIf = shell.Run("Invoke-VaultKeyRotation rot-vault -WhatIf").Succeeded();
        Assert.Contains("What if", whatIf.HostText);
        Assert.Equal(1, Prop<int>(shell.Run("Get-Vault rot-vault").Single(), "KeyringTerms"));
        shell.Host.ConfirmAnswer = "No";
        shell.Run("Invoke-VaultKeyRotation rot-vault").Succeeded();
        Assert.Single(shell.Host.Prompts);
        Assert.Equal(1, Prop<int>(shell.Run("Get-Vault rot-vault").Single(), "KeyringTerms"));

        var rotated = shell.Run("Invoke-VaultKeyRotation rot-vault -Force -PassThru").Succeeded().Single();
        Assert.Equal(2, Prop<int>(rotated, "KeyringTerms"));
        shell.Run("Set-VaultSecret rot-vault s0 'new'").Succeeded();
        Assert.Equal("new", shell.Run("Get-VaultSecret rot-vault s0 -AsPlainText").Single().BaseObject);
        Assert.Equal("old-299", shell.Run("Get-VaultSecret rot-vault s9 -AsPlainText").Single().BaseObject);

        var moved = shell.Run("Invoke-VaultKeyRotation rot-vault -ResumeReencryption -Force -Verbose").Succeeded();
        Assert.Contains(moved.Verbose, v => v.Message.Contains("Re-encrypted 300 secret version(s)", StringComparison.Ordinal));
        Assert.Contains("PROGRESS: Re-encrypting vault 'rot-vault'", moved.HostText);

        var root = shell.Run("Invoke-VaultKeyRotation rot-vault -Target RootKey -ReencryptSecrets -Force -PassThru -Verbose").Succeeded();
        Assert.Equal(2, Prop<int>(root.Single(), "KeyringTerms"));
        Assert.Contains(root.Verbose, v => v.Message.Contains("new root key", StringComparison.Ordinal));

        shell.Run("Lock-Vault rot-vault").Succeeded();
        Environment.SetEnvironmentVariable("VAULT_PKCS11_PIN", SoftHsmTokens.Pin);
        Assert.Equal("old-10", shell.Run("Get-VaultSecret rot-vault s0 -IncludeVersions | Select-Object -Last 1 | Get-VaultSecret -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal("new", shell.Run("Get-VaultSecret rot-vault s0 -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void AVaultMovesToTheTokenAndBack()
    {
        shell.Run("New-Vault mig-vault | Out-Null; Set-VaultSecret mig-vault db 'before'").Succeeded();
        var path = shell.Run("(Get-Vault mig-vault).Path").Single().ToString();

        var whatIf = shell.Run("Set-VaultKeyProtector mig-vault @hsm -Pin $pin -WhatIf").Succeeded();
        Assert.Contains($"Move the root of trust to token '{token}'", whatIf.HostText);
        Assert.True(File.Exists(path + ".key"));

        var onToken = shell.Run("Set-VaultKeyProtector mig-vault @hsm -Pin $pin -Force -PassThru").Succeeded().Single();
        Assert.Equal("Pkcs11", Prop<string>(onToken, "KeyProtector"));
        Assert.False(File.Exists(path + ".key"));
        shell.Run("Lock-Vault mig-vault").Succeeded();
        shell.Fails("Get-VaultSecret mig-vault db", "KeyProtectorLocked", terminating: true);
        shell.Run("Unlock-Vault mig-vault -Pin $pin").Succeeded();
        Assert.Equal("before", shell.Run("Get-VaultSecret mig-vault db -AsPlainText").Single().BaseObject);
        shell.Fails("Set-VaultKeyProtector mig-vault @hsm -Pin $pin -Force", "KeyProtectorUnchanged", terminating: false);

        var back = shell.Run("Set-VaultKeyProtector mig-vault -KeyProtector Software -Force -PassThru").Succeeded().Single();
        Assert.Equal("Software", Prop<string>(back, "KeyProtector"));
        Assert.True(File.Exists(path + ".key"));
        shell.Run("Lock-Vault mig-vault").Succeeded();
        Assert.Equal("before", shell.Run("Get-VaultSecret mig-vault db -AsPlainText").Succeeded().Single().BaseObject);
    }

    [Fact]
    public void AnExportedKeyringBringsBackAVaultWhoseKeyIsLost()
    {
        var export = Path.Combine(shell.Home, "keyring.bin");
        shell.Run($"New-Vault exp-vault | Out-Null; Set-VaultSecret exp-vault db 'kept'; $pw = ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force").Succeeded();
        shell.Fails($"Export-VaultKeyring exp-vault '{export}' -Password (ConvertTo-SecureString 'short' -AsPlainText -Force)", "WeakKeyringPassword", terminating: true);
        Assert.Equal(export, Prop<string>(shell.Run($"Export-VaultKeyring exp-vault '{export}' -Password $pw").Succeeded().Single(), "FullName"));
        shell.Fails($"Export-VaultKeyring exp-vault '{export}' -Password $pw", "OutputFileExists", terminating: false);

        var path = shell.Run("(Get-Vault exp-vault).Path").Single().ToString();
        shell.Run("Lock-Vault exp-vault").Succeeded();
        File.Delete(path + ".key");
        shell.Fails("Get-VaultSecret exp-vault db", "KeyProtectorUnavailable", terminating: true);

        shell.Fails($"Import-VaultKeyring exp-vault '{export}' -Password (ConvertTo-SecureString 'wrong password' -AsPlainText -Force) -Force", "KeyringBackupInvalid", terminating: false);
        shell.Fails($"Import-VaultKeyring exp-vault '{Path.Combine(shell.Home, "none.bin")}' -Password $pw -Force", "KeyringFileNotFound", terminating: false);
        var imported = shell.Run($"Import-VaultKeyring exp-vault '{export}' -Password $pw @hsm -Pin $pin -Force -PassThru").Succeeded().Single();
        Assert.Equal("Pkcs11", Prop<string>(imported, "KeyProtector"));
        Assert.Equal("kept", shell.Run("Get-VaultSecret exp-vault db -AsPlainText").Succeeded().Single().BaseObject);
        VaultFiles.AssertNoPlaintext(shell.Home, ["kept", "correct horse battery"]);
    }

    [Fact]
    public void ParallelRunspacesReadAnUnlockedHsmVault()
    {
        NewHsmVault("par-vault");
        shell.Run("1..5 | ForEach-Object { Set-VaultSecret par-vault \"s$_\" \"v$_\" }").Succeeded();
        var values = shell.Run($"1..40 | ForEach-Object -ThrottleLimit 6 -Parallel {{ Import-Module '{Repo.Manifest}'; Get-VaultSecret par-vault (\"s{{0}}\" -f (($_ % 5) + 1)) -AsPlainText }}").Succeeded().Output;
        Assert.Equal(40, values.Count);
        Assert.Equal(["v1", "v2", "v3", "v4", "v5"], values.Select(v => v.ToString()).Distinct().Order());
    }

    [Fact]
    public void ARunbookWithoutAPinFailsAtOnceAndWithOneWorks()
    {
        NewHsmVault("run-vault");
        shell.Run("Set-VaultSecret run-vault db 'from-runbook'").Succeeded();
        var command = $"Import-Module '{Repo.Manifest}'; Get-VaultSecret -VaultName run-vault -Name db -AsPlainText";

        var started = DateTime.UtcNow;
        var noPin = PwshProcess.Run(shell.Home, SoftHsmTokens.Environment(withPin: false), TimeSpan.FromMinutes(2), "-Command", command);
        Assert.NotEqual(0, noPin.ExitCode);
        Assert.Contains("no PIN is available to this session. Set $env:VAULT_PKCS11_PIN", noPin.Stderr + noPin.Stdout);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60));

        var withPin = PwshProcess.Run(shell.Home, SoftHsmTokens.Environment(withPin: true), TimeSpan.FromMinutes(2), "-Command", command);
        Assert.True(withPin.ExitCode == 0, withPin.Stderr);
        Assert.Equal("from-runbook", withPin.Stdout.Trim());
    }

    [Fact]
    public void SeveralProcessesWriteOneHsmVaultWithoutLosingAVersion()
    {
        NewHsmVault("multi-vault");
        const int processes = 3;
        const int perProcess = 25;
        var script = $"$ErrorActionPreference = 'Stop'; Import-Module '{Repo.Manifest}'; 1..{perProcess} | ForEach-Object {{ (Set-VaultSecret multi-vault shared \"p$PID-$_\" -PassThru).Version }}";
        var children = Enumerable.Range(0, processes).Select(_ => PwshProcess.Start(shell.Home, SoftHsmTokens.Environment(withPin: true), "-Command", script)).ToList();
        var acknowledged = new ConcurrentBag<string>();
        Parallel.ForEach(children, child =>
        {
            var stderr = new System.Text.StringBuilder();
            child.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
            child.BeginErrorReadLine();
            foreach (var line in child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                acknowledged.Add(line);
            }

            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(3)), "a writer hung");
            Assert.True(child.ExitCode == 0, stderr.ToString());
            child.Dispose();
        });

        Assert.Equal(processes * perProcess, acknowledged.Count);
        var stored = shell.Run("Get-VaultSecret multi-vault shared -IncludeVersions | ForEach-Object Version").Succeeded().Output.Select(o => o.ToString());
        Assert.Equal(acknowledged.Order(), stored.Order());
    }
}
