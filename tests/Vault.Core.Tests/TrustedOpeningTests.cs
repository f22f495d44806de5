using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Vault.Core.Crypto;
using Vault.Core.Crypto.Pkcs11;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// What an opener loads or believes comes from the opener's side: the PKCS#11 library from their
/// registration or the machine-wide list (never from the vault file), and the vault's identity as
/// pinned in their registry (so another vault's files put in its place are refused).
/// </summary>
[Collection(SoftHsmCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TrustedOpeningTests : IDisposable
{
    private readonly SoftHsm hsm;
    private readonly TestHome home = new();
    private readonly string machineList;
    private readonly string originalMachineList = Pkcs11Trust.MachineListPath;

    public TrustedOpeningTests(SoftHsm hsm)
    {
        this.hsm = hsm;
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        var folder = Path.Combine(home.Directory, "etc-vault");
        Directory.CreateDirectory(folder);
        machineList = Path.Combine(folder, "pkcs11-libraries");
        Pkcs11Trust.MachineListPath = machineList;
    }

    public void Dispose()
    {
        Pkcs11Trust.MachineListPath = originalMachineList;
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        home.Dispose();
    }

    private static void SetLibrary(string path, string library)
    {
        var json = JsonNode.Parse(AuditRows.Query(path, "SELECT key_protector FROM vault;"))!;
        json["library"] = library;
        Tamper(path, $"UPDATE vault SET key_protector = '{json.ToJsonString()}';");
    }

    private JsonNode Registration(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(home.Directory, "vaults.json")))!["vaults"]!.AsArray().Single(v => (string)v!["name"]! == name)!;

    /// <summary>
    /// A shared library whose constructor leaves a marker file: built here with gcc, it proves
    /// whether anything loaded it (it is no PKCS#11 library, so loading it then fails).
    /// </summary>
    private (string Library, string Marker) StandInLibrary()
    {
        var source = Path.Combine(home.Directory, "standin.c");
        var library = Path.Combine(home.Directory, "libstandin.so");
        var marker = Path.Combine(home.Directory, "standin-was-loaded");
        File.WriteAllText(source, $$"""
            #include <stdio.h>
            __attribute__((constructor)) static void loaded(void)
            {
                FILE *f = fopen("{{marker}}", "w");
                if (f) { fputs("loaded\n", f); fclose(f); }
            }
            """);
        using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-o", library, source]) { RedirectStandardError = true })!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, "gcc failed: " + errors);
        return (library, marker);
    }

    [Fact]
    public void ALibraryTheVaultFileNamesIsNotLoadedUnlessTheOpenerTrustsIt()
    {
        var token = hsm.NewToken();
        home.Manager.CreateVault("lib-vault", null, 90, false, hsm.Options(token));
        var vault = home.Manager.Open("lib-vault");
        vault.Set("db", "v");
        Assert.Equal(SoftHsm.Library, (string?)Registration("lib-vault")["pkcs11Library"]);
        var (standIn, marker) = StandInLibrary();

        // Someone who can write the file points it at their library.
        SetLibrary(vault.Path, standIn);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var error = Throws(() => home.Manager.Open("lib-vault").GetSecret("db"), "Pkcs11LibraryNotTrusted");
        Assert.Contains(standIn, error.Message, StringComparison.Ordinal);
        Assert.Contains(SoftHsm.Library, error.Message, StringComparison.Ordinal);
        Assert.Contains("Register-Vault", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "The library named by the file was loaded.");
        Throws(() => home.Manager.Open("lib-vault").RotateRootKey(), "Pkcs11LibraryNotTrusted");
        Assert.False(File.Exists(marker), "A root-key rotation loaded the library named by the file.");

        // The file's hint never trusted itself.
        Assert.Equal(SoftHsm.Library, (string?)Registration("lib-vault")["pkcs11Library"]);

        // A machine-wide list that others could write is ignored; one only its owner can write is honoured.
        File.WriteAllText(machineList, standIn + "\n");
        File.SetUnixFileMode(machineList, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        Throws(() => home.Manager.Open("lib-vault").GetSecret("db"), "Pkcs11LibraryNotTrusted");
        Assert.False(File.Exists(marker));
        File.SetUnixFileMode(machineList, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Throws(() => home.Manager.Open("lib-vault").GetSecret("db"), "KeyProtectorUnavailable");
        Assert.True(File.Exists(marker), "With the library listed, the check let it load: the marker shows a load would be seen.");

        // The right library again: the vault opens.
        SetLibrary(vault.Path, SoftHsm.Library);
        Assert.Equal("v", home.Manager.Open("lib-vault").GetSecret("db").Plain());
    }

    [Fact]
    public void ARegistrationTrustsOnlyTheLibraryItIsGiven()
    {
        var token = hsm.NewToken();
        home.Manager.CreateVault("reg-vault", null, 90, false, hsm.Options(token));
        var path = home.Manager.GetVault("reg-vault").Path;
        home.Manager.Open("reg-vault").Set("db", "v");
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);

        var other = new VaultManager(Path.Combine(home.Directory, "other-home"), home.Clock);
        other.RegisterVault(path, "theirs");
        VaultCache.Evict(path);
        Throws(() => other.Open("theirs").GetSecret("db"), "Pkcs11LibraryNotTrusted");
        other.RegisterVault(path, "theirs", SoftHsm.Library, replace: true);
        Assert.Equal("v", other.Open("theirs").GetSecret("db").Plain());
    }

    [Fact]
    public void AnotherVaultsFilesPutInAVaultsPlaceAreRefusedAndLeftAlone()
    {
        var shared = home.NewVault("shared-kv");
        shared.Set("db", "shared-value");
        var other = home.NewVault("other-kv");
        other.Set("db", "other-value");
        var otherVersions = AuditRows.Query(other.Path, "SELECT count(*) FROM secret_version;");
        VaultCache.Evict(shared.Path);
        VaultCache.Evict(other.Path);

        foreach (var suffix in new[] { string.Empty, ".key" })
        {
            File.Copy(other.Path + suffix, shared.Path + suffix, overwrite: true);
        }

        File.Delete(shared.Path + "-wal");
        var error = Throws(() => home.Manager.Open("shared-kv").Set("db", "written into the substitute"), "VaultIdentityMismatch");
        Assert.Contains($"Register-Vault -Path '{shared.Path}' -Name 'shared-kv' -Force", error.Message, StringComparison.Ordinal);
        Assert.Equal(otherVersions, AuditRows.Query(shared.Path, "SELECT count(*) FROM secret_version;"));

        // Intended (say, a vault made again in its place): registering it again trusts it.
        home.Manager.RegisterVault(shared.Path, "shared-kv", replace: true);
        Assert.Equal("other-value", home.Manager.Open("shared-kv").GetSecret("db").Plain());
    }

    [Fact]
    public void AVaultWhoseKeyringIsNotThePinnedOneIsRefused()
    {
        var vault = home.NewVault("pinned-kv");
        vault.Set("db", "v");
        var registry = Path.Combine(home.Directory, "vaults.json");
        var json = JsonNode.Parse(File.ReadAllText(registry))!;
        var registered = json["vaults"]!.AsArray().Single()!;
        Assert.Matches("^[0-9a-f]{32}$", (string)registered["fingerprint"]!);
        Assert.Equal(vault.Cached.VaultId.ToString(), (string)registered["vaultId"]!);

        // The pin says another keyring (the fingerprint comes from term 1's data key).
        registered["fingerprint"] = new string('0', 32);
        File.WriteAllText(registry, json.ToJsonString());
        Throws(() => new VaultManager(home.Directory, home.Clock).Open("pinned-kv").GetSecret("db"), "VaultIdentityMismatch");
    }

    [Fact]
    public void ARegistrationMadeBeforePinsPinsItsVaultAtItsFirstOpen()
    {
        var vault = home.NewVault("legacy-kv");
        vault.Set("db", "v");
        var registry = Path.Combine(home.Directory, "vaults.json");
        var json = JsonNode.Parse(File.ReadAllText(registry))!;
        var registered = json["vaults"]!.AsArray().Single()!.AsObject();
        registered.Remove("vaultId");
        registered.Remove("fingerprint");
        File.WriteAllText(registry, json.ToJsonString());
        VaultCache.Evict(vault.Path);

        var manager = new VaultManager(home.Directory, home.Clock);
        Assert.Equal("v", manager.Open("legacy-kv").GetSecret("db").Plain());
        Assert.Equal(vault.Cached.VaultId.ToString(), (string?)Registration("legacy-kv")["vaultId"]);
        Assert.Matches("^[0-9a-f]{32}$", (string?)Registration("legacy-kv")["fingerprint"] ?? string.Empty);
    }

    [Fact]
    public void RotationAndMigrationKeepWorkingForEveryRegisteredUser()
    {
        var owner = home.NewVault("team-kv");
        owner.Set("db", "v1");
        var member = new VaultManager(Path.Combine(home.Directory, "member-home"), home.Clock, home.Manager.Caller);
        member.RegisterVault(owner.Path, "team");
        Assert.Equal("v1", member.Open("team").GetSecret("db").Plain());
        var pinned = JsonNode.Parse(File.ReadAllText(Path.Combine(home.Directory, "member-home", "vaults.json")))!["vaults"]![0]!["fingerprint"]!.ToString();

        // A new root key, a new data key, a move to a token (its library in the machine-wide list) and back.
        owner.RotateRootKey();
        owner.RotateDataKey();
        owner.Set("db", "v2");
        VaultCache.Evict(owner.Path);
        Assert.Equal("v2", member.Open("team").GetSecret("db").Plain());

        File.WriteAllText(machineList, SoftHsm.Library + "\n");
        File.SetUnixFileMode(machineList, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        home.Manager.Open("team-kv").ChangeKeyProtector(hsm.Options(hsm.NewToken()));
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        VaultCache.Evict(owner.Path);
        Assert.Equal("v2", member.Open("team").GetSecret("db").Plain());
        home.Manager.Open("team-kv").ChangeKeyProtector(KeyProtectorOptions.Software);
        VaultCache.Evict(owner.Path);
        Assert.Equal("v2", member.Open("team").GetSecret("db").Plain());

        // Nobody had to register again: the member's pins are the ones made at registration.
        Assert.Equal(pinned, JsonNode.Parse(File.ReadAllText(Path.Combine(home.Directory, "member-home", "vaults.json")))!["vaults"]![0]!["fingerprint"]!.ToString());
    }
}
