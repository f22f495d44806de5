using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Denials and failures leave their record too; and an operation whose record cannot be written does nothing at all.</summary>
public sealed class AuditFailureTests : IDisposable
{
    private const string Name = "audited";
    private const string Password = "correct horse battery";
    private const string NoAudit = "CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'audit disabled'); END;";
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private static readonly CallerContext Other = TestHome.Caller("uid:2000", "gid:2000");
    private readonly TestHome home = new();
    private readonly VaultManager admin;

    public AuditFailureTests() => admin = home.As(Admin);

    public void Dispose() => home.Dispose();

    private VaultService NewVault()
    {
        admin.CreateVault(Name);
        var vault = admin.Open(Name);
        vault.Set("db", "db-value");
        return vault;
    }

    /// <summary>The one record <paramref name="operation"/> wrote, which must fail with <paramref name="errorId"/>.</summary>
    private static (AuditEntry Row, VaultException Error) Failing(string path, Action operation, string errorId)
    {
        var before = AuditRows.LastId(path);
        var error = Throws(operation, errorId);
        return (Assert.Single(AuditRows.Read(path, before)), error);
    }

    private static void AssertChained(AuditEntry row, string resultType, string signature, VaultException error)
    {
        Assert.NotNull(row.Seq);
        Assert.NotNull(row.Hmac);
        Assert.Equal((resultType, signature), (row.ResultType, row.ResultSignature));
        Assert.Equal($"{error.ErrorId}: {error.Message}", row.Description);
    }

    private static void AssertUnchained(AuditEntry row, string resultType, string signature, VaultException error)
    {
        Assert.Null(row.Seq);
        Assert.Null(row.PrevHmac);
        Assert.Null(row.Hmac);
        Assert.Equal((resultType, signature), (row.ResultType, row.ResultSignature));
        Assert.Equal($"{error.ErrorId}: {error.Message}", row.Description);
    }

    // ---- denials ----------------------------------------------------------------------------

    [Fact]
    public void EveryDenialIsRecordedWithTheDeniedCaller()
    {
        var vault = NewVault();
        var other = home.As(Other).Open(Name);
        var assignment = vault.GetRoleAssignments().Single();
        var denied = new (string Operation, string? Secret, Action Act)[]
        {
            (AuditOperations.SecretGet, "db", () => other.GetSecret("db")),
            (AuditOperations.SecretSet, "db", () => other.Set("db", "x")),
            (AuditOperations.SecretGetMetadata, "db", () => other.GetSecretProperties("db")),
            (AuditOperations.SecretListVersions, "db", () => other.ListVersions("db")),
            (AuditOperations.SecretUpdate, "db", () => other.UpdateSecret("db", null, new SecretUpdate { Enabled = false })),
            (AuditOperations.SecretDelete, "db", () => other.DeleteSecret("db")),
            (AuditOperations.SecretBackup, "db", () => other.BackupSecret("db")),
            (AuditOperations.KeyRotate, null, () => other.RotateDataKey()),
            (AuditOperations.RootKeyRotate, null, other.RotateRootKey),
            (AuditOperations.KeyringExport, null, () => other.ExportKeyring(Secure(Password))),
            (AuditOperations.RoleDefinitionList, null, () => other.GetRoleDefinitions()),
            (AuditOperations.RoleAssignmentList, null, () => other.GetRoleAssignments()),
            (AuditOperations.RoleAssignmentCreate, null, () => other.NewRoleAssignment(BuiltInRoles.Administrator, Other.Principal, "/")),
            (AuditOperations.RoleAssignmentDelete, null, () => other.RemoveRoleAssignment(assignment.Id)),
            (AuditOperations.AccessTest, null, () => other.TestAccess(Admin, VaultActions.SecretGet, "/")),
            (AuditOperations.AuditLogRead, null, () => other.GetAuditLog()),
            (AuditOperations.AuditHeadGet, null, () => other.GetAuditHead()),
            (AuditOperations.AuditLogVerify, null, () => other.VerifyAuditLog()),
            (AuditOperations.AuditHashCompute, null, () => other.AuditHash(Secure("db-value"))),
            (AuditOperations.VaultUpdate, null, () => home.As(Other).UpdateVault(Name, 30, null)),
            (AuditOperations.VaultDelete, null, () => home.As(Other).RemoveVault(Name)),
        };

        foreach (var (operation, secret, act) in denied)
        {
            var (row, error) = Failing(vault.Path, act, "AccessDenied");
            Assert.Equal(operation, row.Operation);
            Assert.Equal((Other.Principal.Id, Other.Principal.Name, "User"), (row.CallerId, row.CallerName, row.CallerType));
            Assert.Equal(secret, row.SecretName);
            Assert.Equal(secret is null ? "vault://audited" : "vault://audited/secrets/" + secret, row.Target);
            AssertChained(row, "Denied", "Forbidden", error);
        }

        Assert.True(File.Exists(vault.Path));
        Assert.Equal("db-value", vault.GetSecret("db").Plain());
        Assert.True(vault.VerifyAuditLog().IsValid);
    }

    [Fact]
    public void ADeniedCallerLearnsNothingButTheRecordNamesWhatWasAsked()
    {
        var vault = NewVault();
        var other = home.As(Other).Open(Name);
        foreach (var (operation, act) in new (string Operation, Action<string> Act)[]
        {
            (AuditOperations.SecretGet, n => other.GetSecret(n)),
            (AuditOperations.SecretSet, n => other.Set(n, "x")),
            (AuditOperations.SecretDelete, n => other.DeleteSecret(n)),
            (AuditOperations.SecretGetDeleted, n => other.GetDeletedSecret(n)),
            (AuditOperations.SecretRecover, n => other.RecoverSecret(n)),
        })
        {
            var (existingRow, existing) = Failing(vault.Path, () => act("db"), "AccessDenied");
            var (missingRow, missing) = Failing(vault.Path, () => act("no-such"), "AccessDenied");

            Assert.Equal(existing.Message.Replace("/secrets/db", "/secrets/X", StringComparison.Ordinal), missing.Message.Replace("/secrets/no-such", "/secrets/X", StringComparison.Ordinal));
            Assert.Equal("/secrets/db", existing.Target);
            Assert.Equal("/secrets/no-such", missing.Target);
            Assert.Equal((operation, "db", "vault://audited/secrets/db"), (existingRow.Operation, existingRow.SecretName, existingRow.Target));
            Assert.Equal((operation, "no-such", "vault://audited/secrets/no-such"), (missingRow.Operation, missingRow.SecretName, missingRow.Target));
            AssertChained(existingRow, "Denied", "Forbidden", existing);
            AssertChained(missingRow, "Denied", "Forbidden", missing);
        }
    }

    // ---- failures ---------------------------------------------------------------------------

    [Fact]
    public void FailuresAreRecordedWithTheirSignature()
    {
        var vault = NewVault();
        var path = vault.Path;

        var (row, error) = Failing(path, () => vault.GetSecret("missing"), "SecretNotFound");
        AssertChained(row, "Failed", "NotFound", error);
        Assert.Equal(("missing", "vault://audited/secrets/missing"), (row.SecretName, row.Target));

        // An unknown version: the target names the version that was asked for.
        var version = new string('0', 32);
        (row, error) = Failing(path, () => vault.GetSecret("db", version), "SecretVersionNotFound");
        AssertChained(row, "Failed", "NotFound", error);
        Assert.Equal("vault://audited/secrets/db/" + version, row.Target);

        (row, error) = Failing(path, () => vault.Set("bad name", "x"), "InvalidSecretName");
        AssertChained(row, "Failed", "InvalidInput", error);
        Assert.Equal((AuditOperations.SecretSet, "bad name"), (row.Operation, row.SecretName));
        Assert.Null(row.Property("valueHmac"));

        (row, error) = Failing(path, () => vault.GetSecret("bad/name"), "InvalidSecretName");
        AssertChained(row, "Failed", "InvalidInput", error);

        (row, error) = Failing(path, () => vault.ExportKeyring(Secure("short")), "WeakKeyringPassword");
        AssertChained(row, "Failed", "InvalidInput", error);

        vault.Set("other", "x");
        vault.DeleteSecret("other");
        (row, error) = Failing(path, () => vault.Set("other", "y"), "SecretIsDeleted");
        Assert.Equal(AuditOperations.SecretSet, row.Operation);
        Assert.Equal("Failed", row.ResultType);

        (row, error) = Failing(path, () => vault.NewRoleDefinition(BuiltInRoles.Reader, null, [VaultActions.SecretGet], []), "RoleDefinitionExists");
        AssertChained(row, "Failed", "Conflict", error);

        var creator = vault.GetRoleAssignments().Single();
        (row, error) = Failing(path, () => vault.RemoveRoleAssignment(creator.Id), "LastAdministrator");
        Assert.Equal((AuditOperations.RoleAssignmentDelete, "Failed"), (row.Operation, row.ResultType));

        // A removal by fields that finds nothing: the look-up's failure is the removal's one record.
        (row, error) = Failing(path, () => vault.FindRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal.Id, "/"), "RoleAssignmentNotFound");
        AssertChained(row, "Failed", "NotFound", error);
        Assert.Equal(AuditOperations.RoleAssignmentDelete, row.Operation);

        Assert.True(vault.VerifyAuditLog().IsValid);
    }

    [Fact]
    public void ATamperedCiphertextIsRecordedAsAnIntegrityFailure()
    {
        var vault = NewVault();
        var version = vault.GetSecretProperties("db").Version;
        Tamper(vault.Path, "UPDATE secret_version SET value = substr(value, 1, 20) || x'00' || substr(value, 22);");

        var reopened = admin.Open(Name);
        var (row, error) = Failing(vault.Path, () => reopened.GetSecret("db"), "SecretIntegrityFailed");
        AssertChained(row, "Failed", "IntegrityFailure", error);
        Assert.Equal("vault://audited/secrets/db/" + version, row.Target);
        Assert.True(reopened.VerifyAuditLog().IsValid);
    }

    [Fact]
    public void AMissingKeyFileIsAnUnchainedEntryThatTheChainDoesNotCover()
    {
        var vault = NewVault();
        VaultCache.Evict(vault.Path);
        File.Move(vault.Path + ".key", vault.Path + ".key.moved");

        var locked = admin.Open(Name);
        var (row, error) = Failing(vault.Path, () => locked.GetSecret("db"), "KeyProtectorUnavailable");
        AssertUnchained(row, "Failed", "Unavailable", error);
        Assert.Equal((AuditOperations.SecretGet, "db", Admin.Principal.Id), (row.Operation, row.SecretName, row.CallerId));
        Assert.Equal("vault://audited/secrets/db", row.Target);

        (row, error) = Failing(vault.Path, () => locked.ListSecrets(), "KeyProtectorUnavailable");
        AssertUnchained(row, "Failed", "Unavailable", error);

        File.Move(vault.Path + ".key.moved", vault.Path + ".key");
        VaultCache.Evict(vault.Path);
        var reopened = admin.Open(Name);
        var verification = reopened.VerifyAuditLog();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(2, verification.UnchainedCount);
        Assert.Contains("2 unchained entries", verification.Message);

        var unchained = reopened.GetAuditLog(new AuditLogQuery { ResultType = VaultAuditResultType.Failed }).ToList();
        Assert.Equal(2, unchained.Count);
        Assert.All(unchained, r => Assert.False(r.IsChained));
        Assert.All(unchained, r => Assert.Null(r.SequenceNumber));
        Assert.All(unchained, r => Assert.Null(r.Hmac));
        Assert.Equal([AuditOperations.SecretList, AuditOperations.SecretGet], unchained.Select(r => r.OperationName));
    }

    [Fact]
    public void AKeyringImportIntoAVaultWhoseKeyIsLostIsChainedUnderTheImportedKeyring()
    {
        var vault = NewVault();
        var export = vault.ExportKeyring(Secure(Password));
        VaultCache.Evict(vault.Path);
        File.Delete(vault.Path + ".key");

        var lost = admin.Open(Name);
        var (row, error) = Failing(vault.Path, () => lost.ImportKeyring(export, Secure("wrong password!"), KeyProtectorOptions.Software, "k.bin"), "KeyringBackupInvalid");
        AssertUnchained(row, "Failed", "IntegrityFailure", error);

        var before = AuditRows.LastId(vault.Path);
        var last = AuditRows.LastChained(vault.Path)!;
        lost.ImportKeyring(export, Secure(Password), KeyProtectorOptions.Software, "k.bin");
        row = Assert.Single(AuditRows.Read(vault.Path, before));
        Assert.Equal((AuditOperations.KeyringImport, "Success", last.Seq + 1), (row.Operation, row.ResultType, row.Seq));
        Assert.Equal(last.Hmac, row.PrevHmac);

        var reopened = admin.Open(Name);
        Assert.Equal("db-value", reopened.GetSecret("db").Plain());
        Assert.True(reopened.VerifyAuditLog().IsValid);
    }

    // ---- fail closed ------------------------------------------------------------------------

    /// <summary>Everything an operation could change, the key file included.</summary>
    private static string Fingerprint(string path) =>
        AuditRows.Query(path, """
            SELECT coalesce((SELECT group_concat(name || ':' || coalesce(deleted, '') || ':' || coalesce(scheduled_purge, ''), ',') FROM secret), '')
            || '|' || coalesce((SELECT group_concat(version || ':' || enabled || ':' || coalesce(content_type, '') || ':' || term || ':' || hex(value), ',') FROM secret_version), '')
            || '|' || coalesce((SELECT group_concat(term || ':' || hex(wrapped_key) || ':' || mechanism, ',') FROM keyring), '')
            || '|' || coalesce((SELECT group_concat(id || ':' || principal_id || ':' || role_definition_id || ':' || scope, ',') FROM role_assignment), '')
            || '|' || coalesce((SELECT group_concat(name, ',') FROM role_definition), '')
            || '|' || (SELECT soft_delete_retention_days || ':' || purge_protection || ':' || key_protector || ':' || rbac_version FROM vault)
            || '|' || (SELECT count(*) FROM audit_record) || ':' || (SELECT seq || hex(hmac) FROM audit_head);
            """) + "|" + Convert.ToHexString(File.ReadAllBytes(path + ".key"));

    [Fact]
    public void WhenTheRecordCannotBeWrittenTheOperationFailsAndChangesNothing()
    {
        var vault = NewVault();
        vault.Set("db", "db-value-2");
        vault.Set("gone", "gone-value");
        vault.DeleteSecret("gone");
        vault.Set("temp", "temp-value");
        var blob = vault.BackupSecret("temp");
        vault.DeleteSecret("temp");
        vault.PurgeSecret("temp");
        var assignment = vault.NewRoleAssignment(BuiltInRoles.SecretsUser, Other.Principal, "/secrets/db");
        vault.NewRoleDefinition("Custom", null, [VaultActions.SecretReadMetadata], []);
        var export = vault.ExportKeyring(Secure(Password));
        var path = vault.Path;
        var before = Fingerprint(path);

        Tamper(path, NoAudit);
        var v = admin.Open(Name);
        var writes = new (string What, Action Act)[]
        {
            ("set", () => v.Set("db", "new-value")),
            ("set new", () => v.Set("fresh", "new-value")),
            ("update", () => v.UpdateSecret("db", null, new SecretUpdate { Enabled = false })),
            ("delete", () => v.DeleteSecret("db")),
            ("recover", () => v.RecoverSecret("gone")),
            ("purge", () => v.PurgeSecret("gone")),
            ("restore", () => v.RestoreSecret(blob, "temp.blob")),
            ("rotate", () => v.RotateDataKey()),
            ("rotate root", v.RotateRootKey),
            ("import", () => v.ImportKeyring(export, Secure(Password), KeyProtectorOptions.Software, "k.bin")),
            ("new assignment", () => v.NewRoleAssignment(BuiltInRoles.Reader, Other.Principal, "/")),
            ("remove assignment", () => v.RemoveRoleAssignment(assignment.Id)),
            ("new role", () => v.NewRoleDefinition("Another", null, [VaultActions.SecretGet], [])),
            ("remove role", () => v.RemoveRoleDefinition("Custom")),
            ("update vault", () => admin.UpdateVault(Name, 30, true)),
            ("remove vault", () => admin.RemoveVault(Name)),
        };
        foreach (var (what, act) in writes)
        {
            var ex = Throws(act, "AuditWriteFailed");
            Assert.Equal(VaultErrorKind.Unavailable, ex.Kind);
            Assert.Contains("audit disabled", ex.Message);
            Assert.True(before == Fingerprint(path), $"'{what}' changed the vault without its record.");
        }

        Assert.Contains(Name, admin.VaultNames);

        // Reads fail too, and a value never leaves without its record.
        VaultSecret? value = null;
        Throws(() => value = v.GetSecret("db"), "AuditWriteFailed");
        Assert.Null(value);
        byte[]? backup = null;
        Throws(() => backup = v.BackupSecret("db"), "AuditWriteFailed");
        Assert.Null(backup);
        byte[]? exported = null;
        Throws(() => exported = v.ExportKeyring(Secure(Password)), "AuditWriteFailed");
        Assert.Null(exported);
        Throws(() => v.GetSecretProperties("db"), "AuditWriteFailed");
        Throws(() => v.ListSecrets(), "AuditWriteFailed");
        Throws(() => v.ListVersions("db"), "AuditWriteFailed");
        Throws(() => v.GetAuditLog(), "AuditWriteFailed");
        Throws(() => v.GetAuditHead(), "AuditWriteFailed");
        Throws(() => v.VerifyAuditLog(), "AuditWriteFailed");
        Throws(() => v.AuditHash(Secure("x")), "AuditWriteFailed");
        Throws(() => v.TestAccess(Other, VaultActions.SecretGet, "/"), "AuditWriteFailed");
        Throws(() => admin.Unlock(Name, null), "AuditWriteFailed");
        Assert.Equal(before, Fingerprint(path));

        Tamper(path, "DROP TRIGGER no_audit;");
        var again = admin.Open(Name);
        again.Set("db", "after");
        Assert.Equal("after", again.GetSecret("db").Plain());
        again.RotateDataKey();
        again.RemoveRoleAssignment(assignment.Id);
        Assert.Equal("gone-value", GetRecovered(again, "gone"));
        var verification = again.VerifyAuditLog();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(0, verification.UnchainedCount);
    }

    private static string GetRecovered(VaultService vault, string name)
    {
        vault.RecoverSecret(name);
        return vault.GetSecret(name).Plain();
    }

    [Fact]
    public void AReencryptionThatCannotBeRecordedFailsAndEveryValueStillReads()
    {
        // Re-encryption commits in batches of its own (resumable); its record, the summary, comes
        // last. A batch moves a ciphertext to a newer term and changes no value, so when the summary
        // cannot be written the operation fails and every value still reads the same.
        var vault = NewVault();
        vault.Set("api", "api-value");
        vault.RotateDataKey();
        var records = AuditRows.Count(vault.Path);

        Tamper(vault.Path, NoAudit);
        Throws(() => admin.Open(Name).ReencryptSecrets(), "AuditWriteFailed");
        Assert.Equal(records, AuditRows.Count(vault.Path));

        Tamper(vault.Path, "DROP TRIGGER no_audit;");
        var again = admin.Open(Name);
        Assert.Equal("db-value", again.GetSecret("db").Plain());
        Assert.Equal("api-value", again.GetSecret("api").Plain());
        Assert.True(again.VerifyAuditLog().IsValid);
    }
}
