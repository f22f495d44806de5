using Vault.Core.Audit;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>The audit records of a vault whose root key is in a SoftHSM2 token: moving there, locked, a wrong PIN.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class AuditPkcs11Tests : IDisposable
{
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private readonly SoftHsm hsm;
    private readonly TestHome home = new();
    private readonly VaultManager admin;

    public AuditPkcs11Tests(SoftHsm hsm)
    {
        this.hsm = hsm;
        admin = home.As(Admin);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, null);
        home.Dispose();
    }

    [Fact]
    public void AMoveToATokenIsOneChainedRecordAndTheChainStillVerifiesFromTheToken()
    {
        admin.CreateVault("move-vault");
        var vault = admin.Open("move-vault");
        vault.Set("db", "v");
        var token = hsm.NewToken();
        var last = AuditRows.LastChained(vault.Path)!;

        vault.ChangeKeyProtector(hsm.Options(token));

        var row = Assert.Single(AuditRows.Read(vault.Path, last.Id));
        Assert.Equal((AuditOperations.KeyProtectorChange, "Success", "OK", last.Seq + 1), (row.Operation, row.ResultType, row.ResultSignature, row.Seq));
        Assert.Equal("From Software to Pkcs11.", row.Description);
        Assert.Equal(Admin.Principal.Id, row.CallerId);
        Assert.Equal(last.Hmac, row.PrevHmac);

        // The audit key comes from the keyring, not the protector: a fresh session on the token verifies the same chain.
        VaultCache.Evict(vault.Path);
        Environment.SetEnvironmentVariable(KeyProtectors.PinVariable, SoftHsm.UserPin);
        var verification = admin.Open("move-vault").VerifyAuditLog();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(row.Seq, verification.LastSequenceNumber);
    }

    [Fact]
    public void ALockedVaultAndAWrongPinAreUnchainedEntriesAndTheUnlockIsChained()
    {
        var token = hsm.NewToken();
        admin.CreateVault("hsm-vault", null, 90, false, hsm.Options(token));
        var path = admin.Open("hsm-vault").Path;
        admin.Open("hsm-vault").Set("db", "v");
        admin.Lock("hsm-vault");

        var before = AuditRows.LastId(path);
        var locked = Throws(() => admin.Open("hsm-vault").GetSecret("db"), "KeyProtectorLocked");
        var wrong = Throws(() => admin.Unlock("hsm-vault", SoftHsm.Pin("wrong-pin")), "HsmLoginFailed");
        var rows = AuditRows.Read(path, before);
        Assert.Equal(2, rows.Count);

        Assert.Equal((AuditOperations.SecretGet, "Failed", "Unavailable", "db"), (rows[0].Operation, rows[0].ResultType, rows[0].ResultSignature, rows[0].SecretName));
        Assert.Equal($"KeyProtectorLocked: {locked.Message}", rows[0].Description);
        Assert.Equal((AuditOperations.VaultUnlock, "Failed", "Unauthenticated"), (rows[1].Operation, rows[1].ResultType, rows[1].ResultSignature));
        Assert.Equal($"HsmLoginFailed: {wrong.Message}", rows[1].Description);
        Assert.All(rows, r => Assert.Equal((Admin.Principal.Id, Admin.Principal.Name), (r.CallerId, r.CallerName)));
        Assert.All(rows, r => Assert.Equal((null, null, null), (r.Seq, r.PrevHmac, r.Hmac)));
        Assert.All(rows, r => Assert.DoesNotContain("wrong-pin", r.Texts()));

        var last = AuditRows.LastChained(path)!;
        admin.Unlock("hsm-vault", SoftHsm.Pin());
        var unlock = Assert.Single(AuditRows.Read(path, rows[^1].Id));
        Assert.Equal((AuditOperations.VaultUnlock, "Success", last.Seq + 1), (unlock.Operation, unlock.ResultType, unlock.Seq));
        Assert.Equal(last.Hmac, unlock.PrevHmac);

        // Once the keyring is held, a wrong PIN is refused under the audit key: a chained record.
        var again = Throws(() => admin.Unlock("hsm-vault", SoftHsm.Pin("wrong-pin")), "HsmLoginFailed");
        var chained = Assert.Single(AuditRows.Read(path, unlock.Id));
        Assert.Equal((AuditOperations.VaultUnlock, "Failed", "Unauthenticated", unlock.Seq + 1), (chained.Operation, chained.ResultType, chained.ResultSignature, chained.Seq));
        Assert.Equal($"HsmLoginFailed: {again.Message}", chained.Description);

        var verification = admin.Open("hsm-vault").VerifyAuditLog();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(2, verification.UnchainedCount);
    }
}
