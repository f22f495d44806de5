using System.Collections;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>Access control through the core's operations, with injected principals.</summary>
public sealed class RbacTests : IDisposable
{
    private static readonly CallerContext Admin = TestHome.Caller("uid:1000", "gid:1000");
    private static readonly CallerContext Subject = TestHome.Caller("uid:2000", "gid:2000", "gid:3000");
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    private (VaultManager Admin, VaultManager Subject) NewVault(string name = "rbac-vault")
    {
        var admin = home.As(Admin);
        admin.CreateVault(name);
        var vault = admin.Open(name);
        vault.Set("db", "db-value");
        vault.Set("app1-db", "app1");
        vault.Set("app2-db", "app2");
        return (admin, home.As(Subject));
    }

    private static Principal SubjectPrincipal => Subject.Principal;

    [Fact]
    public void TheCreatorIsAdministratorAndNobodyElseHasAnything()
    {
        var (admin, subject) = NewVault();
        var assignment = Assert.Single(admin.Open("rbac-vault").GetRoleAssignments());
        Assert.Equal((Admin.Principal.Id, "Vault Administrator", "/"), (assignment.PrincipalId, assignment.RoleDefinitionName, assignment.Scope));

        var denied = Throws(() => subject.Open("rbac-vault").GetSecret("db"), "AccessDenied");
        Assert.Equal(VaultErrorKind.PermissionDenied, denied.Kind);
        Assert.Contains("user-uid:2000 (uid:2000)", denied.Message);
        Assert.Contains("Vault/secrets/getSecret/action", denied.Message);
        Assert.Contains("'/secrets/db'", denied.Message);
        Assert.Empty(subject.Open("rbac-vault").ListSecrets());
        Throws(() => subject.GetVault("rbac-vault"), "AccessDenied");
    }

    [Fact]
    public void ADenialNeverTellsWhetherTheSecretExists()
    {
        var (_, subject) = NewVault();
        var vault = subject.Open("rbac-vault");
        foreach (var (op, name) in new (Action<VaultService, string> Op, string Name)[]
        {
            ((v, n) => v.GetSecret(n), "get"),
            ((v, n) => v.GetSecretProperties(n), "props"),
            ((v, n) => v.ListVersions(n).ToList(), "versions"),
            ((v, n) => v.Set(n, "x"), "set"),
            ((v, n) => v.DeleteSecret(n), "delete"),
            ((v, n) => v.BackupSecret(n), "backup"),
            ((v, n) => v.UpdateSecret(n, null, new SecretUpdate { Enabled = false }), "update"),
        }.Select(x => (x.Op, x.Name)))
        {
            var existing = Throws(() => op(vault, "db"), "AccessDenied");
            var missing = Throws(() => op(vault, "no-such"), "AccessDenied");
            Assert.Equal(existing.Kind, missing.Kind);
            Assert.Equal(existing.Message.Replace("/secrets/db", "/secrets/X", StringComparison.Ordinal), missing.Message.Replace("/secrets/no-such", "/secrets/X", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AScopedAssignmentReachesOnlyItsSecretsAndListingsShowOnlyThose()
    {
        var (admin, subject) = NewVault();
        admin.Open("rbac-vault").NewRoleAssignment(BuiltInRoles.SecretsUser, SubjectPrincipal, "/secrets/app1-*");
        var vault = subject.Open("rbac-vault");
        Assert.Equal("app1", vault.GetSecret("app1-db").Plain());
        Throws(() => vault.GetSecret("app2-db"), "AccessDenied");
        Throws(() => vault.GetSecret("db"), "AccessDenied");
        Assert.Equal(["app1-db"], vault.ListSecrets().Select(s => s.Name));
        Throws(() => vault.Set("app1-db", "no"), "AccessDenied");

        // A role somewhere in the vault is enough to see it and unlock it, not to act at /.
        Assert.Equal("rbac-vault", subject.GetVault("rbac-vault").VaultName);
        Assert.True(subject.Unlock("rbac-vault", null).Unlocked);
        Throws(() => subject.UpdateVault("rbac-vault", 30, null), "AccessDenied");
        admin.Open("rbac-vault").DeleteSecret("app1-db");
        Assert.Equal(["app1-db"], vault.ListDeletedSecrets().Select(s => s.Name));
    }

    [Fact]
    public void AGroupAssignmentGrantsItsMembersAndTestAccessSaysSo()
    {
        var (admin, subject) = NewVault();
        admin.Open("rbac-vault").NewRoleAssignment(BuiltInRoles.SecretsOfficer, new Principal("gid:3000", "team", VaultPrincipalType.Group), "/");
        subject.Open("rbac-vault").Set("db", "by-a-member");
        var decision = admin.Open("rbac-vault").TestAccess(Subject, VaultActions.SecretSet, "/secrets/db");
        Assert.True(decision.Allowed);
        Assert.Equal("Vault Secrets Officer at / through group team", decision.GrantedBy);
        var outsider = admin.Open("rbac-vault").TestAccess(TestHome.Caller("uid:9"), VaultActions.SecretGet, "/secrets/db");
        Assert.False(outsider.Allowed);
        Assert.Contains("No role is assigned", outsider.Reason);
    }

    [Fact]
    public void NotDataActionsCarveOutOfAWildcard()
    {
        var (admin, subject) = NewVault();
        var vault = admin.Open("rbac-vault");
        vault.NewRoleDefinition("Secrets Without Values", "All of secrets but their values", ["Vault/secrets/*"], [VaultActions.SecretGet, VaultActions.SecretBackup]);
        vault.NewRoleAssignment("Secrets Without Values", SubjectPrincipal, "/");
        var theirs = subject.Open("rbac-vault");
        theirs.Set("db", "overwritten");
        Assert.Equal(3, theirs.ListSecrets().Count());
        var denied = Throws(() => theirs.GetSecret("db"), "AccessDenied");
        Assert.Contains("excludes Vault/secrets/getSecret/action", denied.Message);
        Throws(() => theirs.BackupSecret("db"), "AccessDenied");
    }

    [Fact]
    public void AVaultFromBeforeRolesIsClaimedOnceByItsFirstOpenerAndAnEmptiedOneNever()
    {
        var (admin, subject) = NewVault();
        var path = admin.Open("rbac-vault").Path;
        Tamper(path, BeforeStep6 + "DROP TABLE audit_record; DROP TABLE audit_head; DROP TABLE role_assignment; DROP TABLE role_definition; ALTER TABLE vault DROP COLUMN rbac_version; PRAGMA user_version = 2;");
        Unpin(subject, "rbac-vault", path);

        // The subject opens it first after the upgrade: the upgrade makes the subject its administrator, and only the subject.
        Assert.Equal("db-value", subject.Open("rbac-vault").GetSecret("db").Plain());
        var claimed = Assert.Single(subject.Open("rbac-vault").GetRoleAssignments());
        Assert.Equal((Subject.Principal.Id, "Vault Administrator", "/"), (claimed.PrincipalId, claimed.RoleDefinitionName, claimed.Scope));
        Throws(() => admin.Open("rbac-vault").GetSecret("db"), "AccessDenied");
        Throws(() => admin.GetVault("rbac-vault"), "AccessDenied");

        // Emptied behind Vault's back: nobody is claimed, not even the next caller, and (since step 6)
        // the roles no longer match the digest the vault's state holds, so nothing is decided on them.
        Tamper(path, "DELETE FROM role_assignment; UPDATE vault SET rbac_version = rbac_version + 1;");
        Throws(() => admin.Open("rbac-vault").GetSecret("db"), "MetadataIntegrityFailed");
        var refused = Throws(() => subject.Open("rbac-vault").GetSecret("db"), "MetadataIntegrityFailed");
        Assert.Contains("roles", refused.Message);
        Throws(() => subject.Open("rbac-vault").ListSecrets().ToList(), "MetadataIntegrityFailed");
        Throws(() => admin.Open("rbac-vault").GetRoleAssignments().ToList(), "MetadataIntegrityFailed");
        Assert.Equal("0", AuditRows.Query(path, "SELECT count(*) FROM role_assignment;"));
    }

    [Fact]
    public void ARevocationByAnotherProcessTakesEffectAtOnce()
    {
        var (admin, subject) = NewVault();
        var assignment = admin.Open("rbac-vault").NewRoleAssignment(BuiltInRoles.SecretsUser, SubjectPrincipal, "/");
        var theirs = subject.Open("rbac-vault");
        Assert.Equal("db-value", theirs.GetSecret("db").Plain());

        // Another process: a session of its own removes the assignment.
        using (var other = VaultCache.OpenDetached(VaultLocation.File(theirs.Path), "rbac-vault"))
        {
            new VaultService("rbac-vault", other, home.Clock, Admin).RemoveRoleAssignment(assignment.Id);
        }

        Throws(() => theirs.GetSecret("db"), "AccessDenied");
    }

    [Fact]
    public void RoleDefinitionsAreCheckedAndProtected()
    {
        var (admin, _) = NewVault();
        var vault = admin.Open("rbac-vault");
        Assert.Equal(7, vault.GetRoleDefinitions().Count(r => r.IsBuiltIn));
        Throws(() => vault.NewRoleDefinition("Typo", null, ["Vault/secrets/getSecrets/action"], []), "InvalidRoleDefinition");
        Throws(() => vault.NewRoleDefinition("Empty", null, [], []), "InvalidRoleDefinition");
        Throws(() => vault.NewRoleDefinition("vault reader", null, [VaultActions.VaultRead], []), "RoleDefinitionExists");
        Throws(() => vault.RemoveRoleDefinition(BuiltInRoles.Reader), "BuiltInRoleReadOnly");

        var custom = vault.NewRoleDefinitionFromJson("""
            {
              "Name": "App Reader",
              "IsCustom": true,
              "Description": "Reads app secrets",
              "Actions": [],
              "NotActions": [],
              "DataActions": ["Vault/secrets/getSecret/action", "Vault/secrets/readMetadata/action"],
              "NotDataActions": [],
              "AssignableScopes": ["/"]
            }
            """, "app-reader.json");
        Assert.False(custom.IsBuiltIn);
        Throws(() => vault.NewRoleDefinitionFromJson("""{ "Name": "x", "Actions": ["Microsoft.KeyVault/vaults/read"] }""", "az.json"), "InvalidRoleDefinition");
        Throws(() => vault.NewRoleDefinitionFromJson("not json", "bad.json"), "InvalidRoleDefinition");
        Throws(() => vault.NewRoleDefinition("App Reader", null, [VaultActions.VaultRead], []), "RoleDefinitionExists");

        var assignment = vault.NewRoleAssignment("App Reader", SubjectPrincipal, "/secrets/app1-*");
        Assert.Contains("1 time(s)", Throws(() => vault.RemoveRoleDefinition("App Reader"), "RoleDefinitionInUse").Message);
        vault.RemoveRoleAssignment(assignment.Id);
        vault.RemoveRoleDefinition("app reader");
        Assert.DoesNotContain(vault.GetRoleDefinitions(), r => r.Name == "App Reader");
        Throws(() => vault.RemoveRoleDefinition("App Reader"), "RoleDefinitionNotFound");
    }

    [Fact]
    public void AssignmentsAreCheckedAndTheLastAdministratorStays()
    {
        var (admin, _) = NewVault();
        var vault = admin.Open("rbac-vault");
        Throws(() => vault.NewRoleAssignment(BuiltInRoles.Reader, SubjectPrincipal, "/keys/x"), "InvalidScope");
        Throws(() => vault.NewRoleAssignment(BuiltInRoles.Reader, SubjectPrincipal, "/secrets/bad name"), "InvalidScope");
        Throws(() => vault.NewRoleAssignment("No Such Role", SubjectPrincipal, "/"), "RoleDefinitionNotFound");
        vault.NewRoleAssignment(BuiltInRoles.Reader, SubjectPrincipal, "/secrets/DB");
        Throws(() => vault.NewRoleAssignment(BuiltInRoles.Reader, SubjectPrincipal, "/secrets/db"), "RoleAssignmentExists");

        var mine = Assert.Single(vault.GetRoleAssignments(Admin.Principal.Id));
        Throws(() => vault.RemoveRoleAssignment(mine.Id), "LastAdministrator");
        var second = vault.NewRoleAssignment(BuiltInRoles.Administrator, SubjectPrincipal, "/");
        vault.RemoveRoleAssignment(mine.Id);
        Throws(() => home.As(Subject).Open("rbac-vault").RemoveRoleAssignment(second.Id), "LastAdministrator");
        Throws(() => vault.GetSecret("db"), "AccessDenied");
    }

    /// <summary>What each built-in role may do, operation by operation (about_Vault_RBAC has the same table).</summary>
    public static TheoryData<string, string[]> RoleMatrix => new()
    {
        { BuiltInRoles.Administrator, ["*"] },
        { BuiltInRoles.SecretsOfficer, ["Get-Vault", "Get-VaultSecret", "Get-VaultSecret listing", "Set-VaultSecret", "Update-VaultSecret", "Remove-VaultSecret", "Undo-VaultSecretRemoval", "Remove-VaultSecret -InRemovedState", "Backup-VaultSecret", "Restore-VaultSecret", "Unlock-Vault"] },
        { BuiltInRoles.SecretsUser, ["Get-Vault", "Get-VaultSecret", "Get-VaultSecret listing", "Unlock-Vault"] },
        { BuiltInRoles.Reader, ["Get-Vault", "Get-VaultSecret listing", "Get-VaultRoleDefinition", "Get-VaultRoleAssignment", "Test-VaultAccess"] },
        { BuiltInRoles.CryptoOfficer, ["Get-Vault", "Unlock-Vault", "Invoke-VaultKeyRotation", "Set-VaultKeyProtector", "Export-VaultKeyring", "Import-VaultKeyring"] },
        { BuiltInRoles.CryptoUser, ["Get-Vault", "Unlock-Vault"] },
        { BuiltInRoles.AuditReader, ["Get-Vault"] },
    };

    [Theory]
    [MemberData(nameof(RoleMatrix))]
    public void EachBuiltInRoleCanDoExactlyItsOperations(string role, string[] allowed)
    {
        var (admin, subject) = NewVault();
        var adminVault = admin.Open("rbac-vault");
        adminVault.Set("gone", "g");
        adminVault.DeleteSecret("gone");
        adminVault.Set("purgeable", "p");
        adminVault.DeleteSecret("purgeable");
        var backup = adminVault.BackupSecret("app2-db");
        var keyring = adminVault.ExportKeyring(Secure("long password"));
        adminVault.NewRoleDefinition("Spare", null, [VaultActions.VaultRead], []);
        adminVault.NewRoleAssignment(role, SubjectPrincipal, "/");
        adminVault.NewRoleAssignment(BuiltInRoles.Administrator, new Principal("uid:1", "other-admin", VaultPrincipalType.User), "/");
        var spare = adminVault.NewRoleAssignment(BuiltInRoles.Reader, new Principal("uid:7", "someone", VaultPrincipalType.User), "/");

        var vault = subject.Open("rbac-vault");
        var operations = new (string Name, Func<bool> Run)[]
        {
            ("Get-Vault", () => subject.GetVault("rbac-vault") is not null),
            ("Update-Vault", () => subject.UpdateVault("rbac-vault", 30, null) is not null),
            ("Get-VaultSecret", () => vault.GetSecret("db") is not null),
            ("Get-VaultSecret listing", () => vault.ListSecrets().Any()),
            ("Set-VaultSecret", () => vault.Set("db", "new") is not null),
            ("Update-VaultSecret", () => vault.UpdateSecret("db", null, new SecretUpdate { ContentType = "x" }) is not null),
            ("Undo-VaultSecretRemoval", () => vault.RecoverSecret("gone") is not null),
            ("Remove-VaultSecret -InRemovedState", () => { vault.PurgeSecret("purgeable"); return true; }),
            ("Backup-VaultSecret", () => vault.BackupSecret("db").Length > 0),
            ("Remove-VaultSecret", () => vault.DeleteSecret("app2-db") is not null),
            ("Restore-VaultSecret", () => { admin.Open("rbac-vault").PurgeSecretIfDeleted("app2-db"); return vault.RestoreSecret(backup, "b") is not null; }),
            ("Unlock-Vault", () => subject.Unlock("rbac-vault", null) is not null),
            ("Invoke-VaultKeyRotation", () => vault.RotateDataKey() > 0),
            ("Set-VaultKeyProtector", () => { vault.ChangeKeyProtector(KeyProtectorOptions.Software); return true; }),
            ("Export-VaultKeyring", () => vault.ExportKeyring(Secure("long password")).Length > 0),
            ("Import-VaultKeyring", () => { vault.ImportKeyring(keyring, Secure("long password"), KeyProtectorOptions.Software, "k"); return true; }),
            ("Get-VaultRoleDefinition", () => vault.GetRoleDefinitions().Any()),
            ("New-VaultRoleDefinition", () => vault.NewRoleDefinition("Made by " + role, null, [VaultActions.VaultRead], []) is not null),
            ("Remove-VaultRoleDefinition", () => { vault.RemoveRoleDefinition("Spare"); return true; }),
            ("Get-VaultRoleAssignment", () => vault.GetRoleAssignments().Any()),
            ("New-VaultRoleAssignment", () => vault.NewRoleAssignment(BuiltInRoles.Reader, new Principal("uid:8", "x", VaultPrincipalType.User), "/") is not null),
            ("Remove-VaultRoleAssignment", () => vault.RemoveRoleAssignment(spare.Id) is not null),
            ("Test-VaultAccess", () => vault.TestAccess(TestHome.Caller("uid:7"), VaultActions.VaultRead, "/") is not null),
        };

        var outcomes = new List<string>();
        foreach (var (name, run) in operations)
        {
            bool permitted;
            try
            {
                permitted = run();
            }
            catch (VaultException ex) when (ex.ErrorId == "AccessDenied")
            {
                permitted = false;
            }
            catch (VaultException)
            {
                permitted = true; // authorized, then refused for a reason of its own (the protector it has, an older export)
            }

            var expected = allowed.Contains("*") || allowed.Contains(name);
            if (permitted != expected)
            {
                outcomes.Add($"{name}: {(permitted ? "allowed" : "denied")}, expected {(expected ? "allowed" : "denied")}");
            }
        }

        Assert.True(outcomes.Count == 0, role + ": " + string.Join("; ", outcomes));

        // Remove-Vault last: only the Administrator may.
        var removed = false;
        try
        {
            subject.RemoveVault("rbac-vault");
            removed = true;
        }
        catch (VaultException ex) when (ex.ErrorId == "AccessDenied")
        {
        }

        Assert.Equal(role == BuiltInRoles.Administrator, removed);
    }
}

internal static class RbacTestExtensions
{
    public static void PurgeSecretIfDeleted(this VaultService vault, string name)
    {
        if (vault.ListDeletedSecrets().Any(s => s.Name == name))
        {
            vault.PurgeSecret(name);
        }
    }
}
