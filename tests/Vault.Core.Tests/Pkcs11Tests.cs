using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>The PKCS#11 key protector against a real SoftHSM2 token.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11Tests : IDisposable
{
    private readonly SoftHsm hsm;
    private readonly TestHome home = new();
    private readonly RecordingPkcs11 recorder;

    public Pkcs11Tests(SoftHsm hsm)
    {
        this.hsm = hsm;
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        recorder = new RecordingPkcs11(Pkcs11InteropLibrary.Load(SoftHsm.Library));
        Pkcs11KeyProtector.LibraryLoader = path => path == SoftHsm.Library ? recorder : Pkcs11InteropLibrary.Load(path);
    }

    public void Dispose()
    {
        Pkcs11KeyProtector.LibraryLoader = Pkcs11InteropLibrary.Load;
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        home.Dispose();
    }

    private VaultService NewHsmVault(string name, out string token, string? keyLabel = null)
    {
        token = hsm.NewToken();
        home.Manager.CreateVault(name, null, 90, false, hsm.Options(token, keyLabel));
        return home.Manager.Open(name);
    }

    private static string SettingsJson(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key_protector FROM vault;";
        return (string)cmd.ExecuteScalar()!;
    }

    private static List<string> Mechanisms(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT mechanism FROM keyring ORDER BY term;";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    /// <summary>What must not change when an operation fails: settings, keyring and every version.</summary>
    private static string Fingerprint(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT (SELECT key_protector FROM vault) || '|' || (SELECT group_concat(term || ':' || hex(wrapped_key) || ':' || mechanism, ',') FROM keyring) || '|' || (SELECT group_concat(version || ':' || term || ':' || hex(value), ',') FROM secret_version);";
        return (string)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void AVaultInATokenRoundTripsAndRecordsWhereItsKeyIsButNeverThePin()
    {
        var vault = NewHsmVault("hsm-vault", out var token);
        vault.Set("db", "s3cret");
        Assert.Equal("s3cret", vault.GetSecret("db").Plain());

        var info = home.Manager.GetVault("hsm-vault");
        Assert.Equal("Pkcs11", info.KeyProtector);
        Assert.Equal(token, info.TokenLabel);
        Assert.False(string.IsNullOrEmpty(info.TokenSerial));
        Assert.Equal("vault-root-hsm-vault", info.KeyLabel);
        Assert.Equal(SoftHsm.Library, info.Pkcs11Library);
        Assert.Equal("CKM_AES_KEY_WRAP_PAD", info.WrapMechanism);
        Assert.True(info.Unlocked);
        Assert.False(File.Exists(vault.Path + ".key"));

        var json = SettingsJson(vault.Path);
        Assert.Contains("\"keyId\":", json);
        Assert.DoesNotContain(SoftHsm.UserPin, json);
        Assert.DoesNotContain("pin", json, StringComparison.OrdinalIgnoreCase);

        // Another process (a fresh session) opens it with the PIN from the environment.
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        Assert.Equal("s3cret", home.Manager.Open("hsm-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void TheRootKeyCanNeitherBeReadNorWrappedOutOfTheToken()
    {
        var vault = NewHsmVault("probe-vault", out var token);
        var other = hsm.NewWrappingKey(token);
        var settings = KeyProtectorSettings.FromJson(SettingsJson(vault.Path));
        using var protector = Pkcs11KeyProtector.Open(settings, "probe-vault", System.Text.Encoding.UTF8.GetBytes(SoftHsm.UserPin));
        var (readable, wrappable) = protector.ProbeRootKey(other);
        Assert.False(readable);
        Assert.False(wrappable);
    }

    [Fact]
    public void AnExistingKeyIsFoundByItsLabel()
    {
        var token = hsm.NewToken();
        home.Manager.CreateVault("first-vault", null, 90, false, hsm.Options(token, "shared-root"));
        home.Manager.CreateVault("second-vault", null, 90, false, hsm.Options(token, "shared-root"));
        Assert.Equal(
            KeyProtectorSettings.FromJson(SettingsJson(home.Manager.GetVault("first-vault").Path)).KeyId,
            KeyProtectorSettings.FromJson(SettingsJson(home.Manager.GetVault("second-vault").Path)).KeyId);
    }

    [Fact]
    public void ATokenWithoutWrapPadUsesKeyWrapAndTheVaultKeepsOpeningWithIt()
    {
        recorder.HiddenMechanisms.Add(Pkcs11Codes.CkmAesKeyWrapPad);
        var vault = NewHsmVault("kw-vault", out _);
        vault.Set("db", "v");
        Assert.Equal(["CKM_AES_KEY_WRAP"], Mechanisms(vault.Path));

        // The token now offers both: the vault still opens with the mechanism it was written with.
        recorder.HiddenMechanisms.Clear();
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        Assert.Equal("v", home.Manager.Open("kw-vault").GetSecret("db").Plain());
        home.Manager.Open("kw-vault").RotateDataKey();
        Assert.Equal(["CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"], Mechanisms(vault.Path));
    }

    [Fact]
    public void ATokenWithNoWayToSealDataKeysIsRefused()
    {
        // Since step 6, a token without a wrap mechanism can still seal with CKM_AES_GCM; without that too, it is refused.
        recorder.HiddenMechanisms.UnionWith([Pkcs11Codes.CkmAesKeyWrapPad, Pkcs11Codes.CkmAesKeyWrap, Pkcs11Codes.CkmAesGcm]);
        var token = hsm.NewToken();
        var refused = Throws(() => home.Manager.CreateVault("no-wrap", null, 90, false, hsm.Options(token)), "HsmMechanismUnsupported");
        Assert.Contains("CKM_AES_GCM", refused.Message);
        Assert.Empty(home.Manager.VaultNames);
        Assert.False(File.Exists(Path.Combine(home.Directory, "vaults", "no-wrap.vault")));
    }

    [Fact]
    public void AHardenedTokenSealsDataKeysWithAesGcmUnderTheRootKeyAndTheVaultKeepsOpeningWithThem()
    {
        // A token that will not hand back a key it unwrapped (SoftHSM2 with that forced at the PKCS#11 boundary).
        recorder.RefuseToRevealUnwrappedKeys = true;
        var vault = NewHsmVault("hard-vault", out var token);
        vault.Set("db", "v1");
        Assert.Equal(["CKM_AES_GCM"], Mechanisms(vault.Path));
        Assert.Equal(1, recorder.Unwraps);
        Assert.True(recorder.Encrypts >= 1);

        // Opened again: the data key comes back by C_Decrypt, never by C_UnwrapKey.
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var decrypts = recorder.Decrypts;
        Assert.Equal("v1", home.Manager.Open("hard-vault").GetSecret("db").Plain());
        Assert.Equal(decrypts + 1, recorder.Decrypts);
        Assert.Equal(1, recorder.Unwraps);

        // Rotation, root-key rotation and a second opener all keep the path; each key records how it was sealed.
        home.Manager.Open("hard-vault").RotateDataKey();
        home.Manager.Open("hard-vault").Set("db", "v2");
        home.Manager.Open("hard-vault").RotateRootKey();
        Assert.Equal(["CKM_AES_GCM", "CKM_AES_GCM"], Mechanisms(vault.Path));
        VaultCache.Evict(vault.Path);
        Assert.Equal("v2", home.Manager.Open("hard-vault").GetSecret("db").Plain());
        Assert.True(home.Manager.Open("hard-vault").VerifyVault().IsValid);

        // The token later reveals unwrapped keys: the sealed keys still open the way they were sealed.
        recorder.RefuseToRevealUnwrappedKeys = false;
        VaultCache.Evict(vault.Path);
        Assert.Equal("v2", home.Manager.Open("hard-vault").GetSecret("db").Plain());
        Assert.Equal(["CKM_AES_GCM", "CKM_AES_GCM"], Mechanisms(vault.Path));
    }

    [Fact]
    public void AKeySealedWithAesGcmIsBoundToItsTermAndVault()
    {
        recorder.RefuseToRevealUnwrappedKeys = true;
        var vault = NewHsmVault("bound-vault", out _);
        vault.Set("db", "v");
        vault.RotateDataKey();
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);

        // Term 2's sealed key moved to term 1: the AAD names the term, so the token refuses it.
        Tamper(vault.Path, "UPDATE keyring SET wrapped_key = (SELECT wrapped_key FROM keyring WHERE term = 2) WHERE term = 1;");
        Throws(() => home.Manager.Open("bound-vault").GetSecret("db"), "KeyringIntegrityFailed");
    }

    [Fact]
    public void AHardenedTokenWithoutAesGcmIsRefused()
    {
        recorder.RefuseToRevealUnwrappedKeys = true;
        recorder.HiddenMechanisms.Add(Pkcs11Codes.CkmAesGcm);
        var token = hsm.NewToken();
        Throws(() => home.Manager.CreateVault("hard-no-gcm", null, 90, false, hsm.Options(token)), "HsmMechanismUnsupported");
        Assert.Empty(home.Manager.VaultNames);
    }

    [Fact]
    public void ATokenWithoutWrapMechanismsSealsWithAesGcm()
    {
        recorder.HiddenMechanisms.UnionWith([Pkcs11Codes.CkmAesKeyWrapPad, Pkcs11Codes.CkmAesKeyWrap]);
        var vault = NewHsmVault("gcm-only", out _);
        vault.Set("db", "v");
        Assert.Equal(["CKM_AES_GCM"], Mechanisms(vault.Path));
        Assert.Equal(0, recorder.Unwraps);
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        Assert.Equal("v", home.Manager.Open("gcm-only").GetSecret("db").Plain());
    }

    [Fact]
    public void AfterOpenGetAndSetMakeNoCallToThePkcs11Library()
    {
        var vault = NewHsmVault("count-vault", out _);
        vault.Set("db", "v0");
        Assert.Equal("v0", vault.GetSecret("db").Plain());
        var before = recorder.Calls;

        for (var i = 0; i < 50; i++)
        {
            vault.Set("db", "v" + i);
            Assert.Equal("v" + i, vault.GetSecret("db").Plain());
        }

        Assert.Equal(before, recorder.Calls);
    }

    [Fact]
    public void WithoutAPinAVaultIsLockedAndSaysHowToUnlockIt()
    {
        var vault = NewHsmVault("locked-vault", out var token);
        vault.Set("db", "v");
        home.Manager.Lock("locked-vault");
        Assert.False(home.Manager.GetVault("locked-vault").Unlocked);

        var ex = Throws(() => home.Manager.Open("locked-vault").GetSecret("db"), "KeyProtectorLocked");
        Assert.Equal(VaultErrorKind.Unavailable, ex.Kind);
        Assert.Contains("$env:VAULT_PKCS11_PIN", ex.Message);
        Assert.Contains("Unlock-Vault -VaultName 'locked-vault'", ex.Message);
        Assert.Contains(token, ex.Message);

        // A listing needs the audit key too, so a locked vault refuses it the same way.
        Throws(() => home.Manager.Open("locked-vault").ListSecrets(), "KeyProtectorLocked");

        Throws(() => home.Manager.Unlock("locked-vault", SoftHsm.Pin("wrong-pin")), "HsmLoginFailed");
        Assert.False(home.Manager.GetVault("locked-vault").Unlocked);
        Assert.True(home.Manager.Unlock("locked-vault", SoftHsm.Pin()).Unlocked);
        Assert.Equal("v", home.Manager.Open("locked-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void EachFailureModeHasItsOwnErrorAndLeavesTheVaultUnchanged()
    {
        var token = hsm.NewToken();
        Throws(() => home.Manager.CreateVault("fail-1", null, 90, false, hsm.Options(token) with { Pkcs11Library = "/nonexistent/libpkcs11.so" }), "HsmLibraryNotFound");
        Throws(() => home.Manager.CreateVault("fail-2", null, 90, false, hsm.Options("no-such-token")), "HsmTokenNotFound");
        Throws(() => home.Manager.CreateVault("fail-3", null, 90, false, hsm.Options(token, pin: "wrong-pin")), "HsmLoginFailed");
        recorder.PinLocked = true;
        Throws(() => home.Manager.CreateVault("fail-4", null, 90, false, hsm.Options(token)), "HsmPinLocked");
        recorder.PinLocked = false;
        Throws(() => home.Manager.CreateVault("fail-5", null, 90, false, hsm.Options(token) with { Pin = null }), "InvalidKeyProtectorOptions");
        Throws(() => home.Manager.CreateVault("fail-6", null, 90, false, new KeyProtectorOptions { Kind = "Pkcs11", TokenLabel = token }), "InvalidKeyProtectorOptions");
        Assert.Empty(home.Manager.VaultNames);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(home.Directory, "vaults")));

        var vault = NewHsmVault("fail-vault", out var vaultToken);
        vault.Set("db", "v");
        var path = vault.Path;
        var fingerprint = Fingerprint(path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);

        recorder.PinLocked = true;
        VaultCache.Evict(path);
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "HsmPinLocked");
        recorder.PinLocked = false;

        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, "wrong-pin");
        VaultCache.Evict(path);
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "HsmLoginFailed");
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);

        // A wrapped key the HSM refuses.
        Tamper(path, "UPDATE keyring SET wrapped_key = zeroblob(40);");
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "HsmOperationFailed");
        Tamper(path, "UPDATE keyring SET wrapped_key = x'" + fingerprint.Split('|')[1].Split(':')[1] + "';");
        Assert.Equal(fingerprint, Fingerprint(path));

        // The vault's HSM is not here: the library, or the token.
        var json = SettingsJson(path);
        // A library the file names but the opener never trusted is not even looked for (step 6).
        Tamper(path, $"UPDATE vault SET key_protector = '{json.Replace(SoftHsm.Library, "/opt/missing/libpkcs11.so")}';");
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "Pkcs11LibraryNotTrusted");
        Tamper(path, $"UPDATE vault SET key_protector = '{json.Replace(vaultToken, "absent-token")}';");
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "KeyProtectorUnavailable");
        Tamper(path, $"UPDATE vault SET key_protector = '{json}';");
        Assert.Equal(fingerprint, Fingerprint(path));

        // The root key is gone from the token.
        hsm.DeleteKeys(vaultToken, "vault-root-fail-vault");
        VaultCache.Evict(path);
        Throws(() => home.Manager.Open("fail-vault").GetSecret("db"), "RootKeyNotFound");
        Assert.Equal(fingerprint, Fingerprint(path));
    }

    [Fact]
    public void DataKeyRotationKeepsOldVersionsReadableAndReencryptionMovesThemAllResumably()
    {
        var vault = NewHsmVault("rot-vault", out _);
        for (var i = 0; i < 600; i++)
        {
            vault.Set("s" + (i % 30), "old-" + i);
        }

        Assert.Equal(2, vault.RotateDataKey());
        vault.Set("s0", "new");
        Assert.Equal("new", vault.GetSecret("s0").Plain());
        Assert.Equal("old-599", vault.GetSecret("s29").Plain());
        Assert.Equal(2, home.Manager.GetVault("rot-vault").KeyringTerms);

        // Interrupted after the first batch...
        using var cancel = new CancellationTokenSource();
        var seen = new List<long>();
        Throws(() => vault.ReencryptSecrets(new SyncProgress(p =>
        {
            seen.Add(p.Done);
            if (p.Done > 0)
            {
                cancel.Cancel();
            }
        }), cancel.Token), "ReencryptionCancelled");
        Assert.Equal(256, seen[^1]);

        // ...and finished by running it again.
        Assert.Equal(600 - 256, vault.ReencryptSecrets().Moved);
        Assert.Equal(0, vault.ReencryptSecrets().Moved);
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var reopened = home.Manager.Open("rot-vault");
        Assert.All(reopened.ListSecrets(), s => Assert.NotNull(reopened.GetSecret(s.Name)));
        Assert.Equal("old-0", reopened.GetSecret("s0", reopened.ListVersions("s0").Last().Version).Plain());
        using var c = new SqliteConnection($"Data Source={vault.Path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM secret_version WHERE term <> 2;";
        Assert.Equal(0L, cmd.ExecuteScalar());
    }

    private sealed class SyncProgress(Action<(long Done, long Total)> report) : IProgress<(long Done, long Total)>
    {
        public void Report((long Done, long Total) value) => report(value);
    }

    [Fact]
    public void ARotationByAnotherProcessIsFollowedWithoutTheHsm()
    {
        var vault = NewHsmVault("follow-vault", out _);
        vault.Set("db", "v1");
        Assert.Equal("v1", vault.GetSecret("db").Plain());

        // "Another process": a session of its own, with the PIN from its environment.
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        using var other = VaultCache.OpenDetached(VaultLocation.File(vault.Path), "follow-vault");
        var otherVault = new VaultService("follow-vault", other, home.Clock, home.Manager.Caller, trust: new VaultTrust { Pkcs11Libraries = [SoftHsm.Library] });
        otherVault.RotateDataKey();
        otherVault.Set("db", "v2");
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);

        var before = recorder.Calls;
        Assert.Equal("v2", vault.GetSecret("db").Plain());
        vault.Set("db", "v3");
        Assert.Equal(before, recorder.Calls);
        Assert.Equal("v3", otherVault.GetSecret("db").Plain());
        Assert.Equal(2, vault.Barrier().ActiveTerm);
    }

    [Fact]
    public void RootKeyRotationMakesANewTokenKeyAndOldAndNewVersionsStayReadable()
    {
        var vault = NewHsmVault("root-vault", out _);
        vault.Set("db", "before");
        var oldId = KeyProtectorSettings.FromJson(SettingsJson(vault.Path)).KeyId;
        home.Manager.Unlock("root-vault", SoftHsm.Pin());
        vault.RotateRootKey();
        vault.Set("db", "after");
        var newId = KeyProtectorSettings.FromJson(SettingsJson(vault.Path)).KeyId;
        Assert.NotEqual(oldId, newId);

        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var reopened = home.Manager.Open("root-vault");
        Assert.Equal("after", reopened.GetSecret("db").Plain());
        Assert.Equal("before", reopened.GetSecret("db", reopened.ListVersions("db").Last().Version).Plain());
    }

    [Fact]
    public void SoftwareRootKeyRotationReplacesTheKeyFile()
    {
        var vault = home.NewVault("soft-rot");
        vault.Set("db", "before");
        var oldKey = File.ReadAllBytes(vault.Path + ".key");
        vault.RotateRootKey();
        Assert.NotEqual(oldKey, File.ReadAllBytes(vault.Path + ".key"));
        Assert.False(File.Exists(vault.Path + ".key.new"));
        VaultCache.Evict(vault.Path);
        Assert.Equal("before", home.Manager.Open("soft-rot").GetSecret("db").Plain());
    }

    [Fact]
    public void ACrashBetweenCommitAndKeyFileRenameIsRepairedOnOpen()
    {
        var vault = home.NewVault("crash-rot");
        vault.Set("db", "v");
        var oldKey = File.ReadAllBytes(vault.Path + ".key");
        vault.RotateRootKey();
        var newKey = File.ReadAllBytes(vault.Path + ".key");

        // As if the process died after the commit and before the rename.
        VaultCache.Evict(vault.Path);
        File.WriteAllBytes(vault.Path + ".key.new", newKey);
        // Owner-only, as Vault writes it: a key file others may read or write is refused (step 6).
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(vault.Path + ".key.new", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllBytes(vault.Path + ".key", oldKey);
        Assert.Equal("v", home.Manager.Open("crash-rot").GetSecret("db").Plain());
        Assert.Equal(newKey, File.ReadAllBytes(vault.Path + ".key"));
        Assert.False(File.Exists(vault.Path + ".key.new"));
    }

    [Fact]
    public void MigrationGoesBothWaysAndAFailureHalfWayLeavesTheVaultAsItWas()
    {
        var vault = home.NewVault("mig-vault");
        vault.Set("db", "v1");
        vault.RotateDataKey();
        vault.Set("db", "v2");
        var token = hsm.NewToken();
        var fingerprint = Fingerprint(vault.Path);

        // The token fails on the second wrap: nothing changes, the key file stays.
        recorder.FailWrapAfter = 1;
        Throws(() => vault.ChangeKeyProtector(hsm.Options(token)), "HsmOperationFailed");
        recorder.FailWrapAfter = int.MaxValue;
        Assert.Equal(fingerprint, Fingerprint(vault.Path));
        VaultCache.Evict(vault.Path);
        Assert.Equal("v2", home.Manager.Open("mig-vault").GetSecret("db").Plain());

        home.Manager.Open("mig-vault").ChangeKeyProtector(hsm.Options(token));
        Assert.False(File.Exists(vault.Path + ".key"));
        Assert.Equal("Pkcs11", home.Manager.GetVault("mig-vault").KeyProtector);
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var onHsm = home.Manager.Open("mig-vault");
        Assert.Equal("v2", onHsm.GetSecret("db").Plain());
        Assert.Equal("v1", onHsm.GetSecret("db", onHsm.ListVersions("db").Last().Version).Plain());
        Throws(() => onHsm.ChangeKeyProtector(hsm.Options(token)), "KeyProtectorUnchanged");

        onHsm.ChangeKeyProtector(KeyProtectorOptions.Software);
        Assert.True(File.Exists(vault.Path + ".key"));
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        Assert.Equal("v2", home.Manager.Open("mig-vault").GetSecret("db").Plain());
        Assert.Equal("Software", home.Manager.GetVault("mig-vault").KeyProtector);
    }

    [Fact]
    public void AnExportedKeyringRecoversAVaultWhoseKeyIsLost()
    {
        var vault = home.NewVault("exp-vault");
        vault.Set("db", "v1");
        vault.RotateDataKey();
        vault.Set("db", "v2");
        Throws(() => vault.ExportKeyring(Secure("short")), "WeakKeyringPassword");
        var export = vault.ExportKeyring(Secure("correct horse battery"));
        var keys = KeyringExport.Open(export, Secure("correct horse battery"), "k.bin").Keys.Select(k => k.Key).ToList();
        Assert.All(keys, k => Assert.Equal(-1, export.AsSpan().IndexOf(k)));

        // The key file is lost.
        VaultCache.Evict(vault.Path);
        File.Delete(vault.Path + ".key");
        Throws(() => home.Manager.Open("exp-vault").GetSecret("db"), "KeyProtectorUnavailable");

        var lost = home.Manager.Open("exp-vault");
        Throws(() => lost.ImportKeyring(export, Secure("wrong password!"), KeyProtectorOptions.Software, "k.bin"), "KeyringBackupInvalid");
        var damaged = (byte[])export.Clone();
        damaged[^3] ^= 1;
        Throws(() => lost.ImportKeyring(damaged, Secure("correct horse battery"), KeyProtectorOptions.Software, "k.bin"), "KeyringBackupInvalid");
        var other = home.NewVault("other-vault").ExportKeyring(Secure("correct horse battery"));
        Assert.Contains("another vault", Throws(() => lost.ImportKeyring(other, Secure("correct horse battery"), KeyProtectorOptions.Software, "k.bin"), "KeyringBackupInvalid").Message);

        // Into a token this time.
        var token = hsm.NewToken();
        lost.ImportKeyring(export, Secure("correct horse battery"), hsm.Options(token), "k.bin");
        Assert.Equal("v2", home.Manager.Open("exp-vault").GetSecret("db").Plain());
        Assert.Equal("Pkcs11", home.Manager.GetVault("exp-vault").KeyProtector);

        // An export older than the last rotation does not cover the vault.
        var onHsm = home.Manager.Open("exp-vault");
        onHsm.RotateDataKey();
        Assert.Contains("term 3", Throws(() => onHsm.ImportKeyring(export, Secure("correct horse battery"), KeyProtectorOptions.Software, "k.bin"), "KeyringBackupInvalid").Message);
    }

    [Fact]
    public void APinTheTokenRejectedIsNeverSentAgain()
    {
        var vault = NewHsmVault("pin-vault", out _);
        vault.Set("db", "v");
        VaultCache.Evict(vault.Path);

        // A runbook with a wrong PIN in its environment, calling five times: one login, not five.
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, "wrong-pin");
        var logins = recorder.Logins;
        var first = Throws(() => home.Manager.Open("pin-vault").GetSecret("db"), "HsmLoginFailed");
        Assert.Contains("will not send that PIN again", first.Message, StringComparison.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            var again = Throws(() => home.Manager.Open("pin-vault").GetSecret("db"), "HsmLoginFailed");
            Assert.Contains("was not sent again", again.Message, StringComparison.Ordinal);
        }

        Throws(() => home.Manager.Unlock("pin-vault", SoftHsm.Pin("wrong-pin")), "HsmLoginFailed");
        Assert.Equal(logins + 1, recorder.Logins);

        // Another PIN is sent: a wrong one once, the right one opens the vault.
        Throws(() => home.Manager.Unlock("pin-vault", SoftHsm.Pin("wrong-pin-2")), "HsmLoginFailed");
        Assert.Equal(logins + 2, recorder.Logins);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        Assert.Equal("v", home.Manager.Open("pin-vault").GetSecret("db").Plain());
        Assert.Equal(logins + 3, recorder.Logins);
    }

    [Fact]
    public void ThreadsOpeningAnHsmVaultAtOnceAllSucceed()
    {
        var vault = NewHsmVault("par-vault", out _);
        vault.Set("db", "v");
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        Parallel.For(0, 16, i =>
        {
            var v = new VaultManager(home.Directory, home.Clock).Open("par-vault");
            Assert.Equal("v", v.GetSecret("db").Plain());
            v.Set("own-" + i, "x");
        });
        Assert.Equal(17, home.Manager.Open("par-vault").ListSecrets().Count());
    }

    [Fact]
    public void NoDataKeyIsInTheVaultFileInPlainText()
    {
        var vault = NewHsmVault("scan-vault", out _);
        vault.Set("db", "v");
        vault.RotateDataKey();
        vault.Set("db", "w");
        // The data keys, by way of an export (no raw key leaves the barrier otherwise).
        var keys = KeyringExport.Open(vault.ExportKeyring(Secure("scan password")), Secure("scan password"), "scan").Keys;
        Assert.Equal(2, keys.Count);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(vault.Path)!, "scan-vault*"))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var (_, key) in keys)
            {
                Assert.Equal(-1, bytes.AsSpan().IndexOf(key));
            }
        }
    }

    [Fact]
    public void AVersionOneVaultFileIsMigratedAndOpens()
    {
        var vault = home.NewVault("old-vault");
        vault.Set("db", "v");
        Tamper(vault.Path, BeforeStep6 + """
            DROP TABLE audit_record; DROP TABLE audit_head;
            DROP TABLE role_assignment; DROP TABLE role_definition; ALTER TABLE vault DROP COLUMN rbac_version;
            ALTER TABLE keyring DROP COLUMN chain; ALTER TABLE keyring DROP COLUMN key_check; ALTER TABLE keyring DROP COLUMN mechanism;
            PRAGMA user_version = 1;
            """);
        Unpin(home.Manager, "old-vault", vault.Path);
        Assert.Equal("v", home.Manager.Open("old-vault").GetSecret("db").Plain());

        // A vault from before roles existed: its first caller became its Administrator.
        var admin = Assert.Single(home.Manager.Open("old-vault").GetRoleAssignments());
        Assert.Equal("Vault Administrator", admin.RoleDefinitionName);
        Assert.Equal(home.Manager.Caller.Principal.Id, admin.PrincipalId);
        home.Manager.Open("old-vault").RotateDataKey();
        home.Manager.Open("old-vault").Set("db", "w");
        Assert.Equal("w", home.Manager.Open("old-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void ADamagedVersionIsReportedAndDoesNotBlockReencryption()
    {
        var vault = home.NewVault("dmg-vault");
        for (var i = 0; i < 300; i++)
        {
            vault.Set("s" + (i % 3), "v" + i);
        }

        vault.RotateDataKey();
        Tamper(vault.Path, "UPDATE secret_version SET value = zeroblob(length(value)) WHERE seq = 10;");
        var reopened = home.Manager.Open("dmg-vault");
        var result = reopened.ReencryptSecrets();
        Assert.Equal(299, result.Moved);
        Assert.Equal("SecretIntegrityFailed", Assert.Single(result.Damaged).ErrorId);
        Assert.Equal(0, reopened.ReencryptSecrets().Moved);
        Assert.Single(reopened.ReencryptSecrets().Damaged);
    }

    [Theory]
    [InlineData("vault-root-app", "vault-root-app-r2")]
    [InlineData("vault-root-app-r2", "vault-root-app-r3")]
    [InlineData("my-key-r9", "my-key-r10")]
    public void RotatedRootKeysGetLabelsOfTheirOwn(string label, string next) => Assert.Equal(next, Pkcs11KeyProtector.NextKeyLabel(label));

    [Fact]
    public void AfterRootRotationTheDefaultLabelStillFindsOneKey()
    {
        var vault = NewHsmVault("lbl-vault", out var token);
        home.Manager.Unlock("lbl-vault", SoftHsm.Pin());
        vault.RotateRootKey();
        Assert.Equal("vault-root-lbl-vault-r2", home.Manager.GetVault("lbl-vault").KeyLabel);

        // Back to software, then onto the token again with the default label: one key has it.
        vault.ChangeKeyProtector(KeyProtectorOptions.Software);
        vault.ChangeKeyProtector(hsm.Options(token));
        Assert.Equal("vault-root-lbl-vault", home.Manager.GetVault("lbl-vault").KeyLabel);

        // Another key label in the same token is a move too.
        vault.ChangeKeyProtector(hsm.Options(token, "another-label"));
        Assert.Equal("another-label", home.Manager.GetVault("lbl-vault").KeyLabel);
        Throws(() => vault.ChangeKeyProtector(hsm.Options(token, "another-label")), "KeyProtectorUnchanged");
    }

    [Fact]
    public void ANewPinForAnUnlockedVaultMustLogInBeforeItIsKept()
    {
        NewHsmVault("repin-vault", out _);
        Throws(() => home.Manager.Unlock("repin-vault", SoftHsm.Pin("wrong-pin")), "HsmLoginFailed");
        Assert.True(home.Manager.GetVault("repin-vault").Unlocked);

        // The PIN kept is still the right one: a root rotation (which needs the token) works.
        home.Manager.Open("repin-vault").RotateRootKey();
    }

    [Fact]
    public void TheEnvironmentReachesNativeCodeButThePinDoesNot()
    {
        Environment.SetEnvironmentVariable("VAULT_TEST_EXPORTED", "yes");
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, "never-native");
        NativeEnvironment.Export();
        Assert.Equal("yes", NativeGetenv("VAULT_TEST_EXPORTED"));
        Assert.Null(NativeGetenv(KeyProtectors.PinVariable));
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "getenv")]
    private static extern IntPtr Getenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);

    private static string? NativeGetenv(string name) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(Getenv(name));
}
