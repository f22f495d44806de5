using Vault.Core.Authorization;
using Xunit;
using static Vault.Core.Tests.TestValues;

namespace Vault.Core.Tests;

/// <summary>
/// The lookups a change makes before it acts (so -WhatIf can make them): the change's own error for
/// what is not there, after the change's own access check; a failure is recorded as the change's, a
/// success is not recorded at all, and nothing changes.
/// </summary>
public sealed class ChangeLookupTests : IDisposable
{
    private readonly TestHome home = new();

    public void Dispose() => home.Dispose();

    [Fact]
    public void ALookupFindsTheSecretAsStoredAndRecordsNothing()
    {
        var vault = home.NewVault("app");
        vault.Set("Database", "v1");
        vault.Set("gone", "x");
        vault.DeleteSecret("gone");
        var version = vault.GetSecretProperties("Database").Version;
        var before = AuditRows.Count(vault.Path);

        Assert.Equal("Database", vault.FindSecretFor(SecretChange.Delete, "database"));
        Assert.Equal("Database", vault.FindSecretFor(SecretChange.Backup, "DATABASE"));
        Assert.Equal("Database", vault.FindSecretFor(SecretChange.Update, "database", version.ToUpperInvariant()));
        Assert.Equal("gone", vault.FindSecretFor(SecretChange.Recover, "GONE"));
        Assert.Equal("gone", vault.FindSecretFor(SecretChange.Purge, "gone"));
        Assert.Equal(before, AuditRows.Count(vault.Path));
        Assert.Equal("v1", vault.GetSecret("Database").Plain());
    }

    [Fact]
    public void WhatIsNotThereIsTheChangesErrorOnTheChangesRecord()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v1");
        vault.Set("gone", "x");
        vault.DeleteSecret("gone");
        var last = AuditRows.LastId(vault.Path);

        Throws(() => vault.FindSecretFor(SecretChange.Delete, "missing"), "SecretNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Backup, "gone"), "SecretNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Update, "gone"), "SecretNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Recover, "db"), "SecretNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Purge, "db"), "SecretNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Update, "db", "0123456789abcdef0123456789abcdef"), "SecretVersionNotFound");
        Throws(() => vault.FindSecretFor(SecretChange.Update, "db", "not-a-version"), "InvalidSecretVersion");

        var records = AuditRows.Read(vault.Path, last);
        Assert.Equal(["SecretDelete", "SecretBackup", "SecretUpdate", "SecretRecover", "SecretPurge", "SecretUpdate", "SecretUpdate"], records.Select(r => r.Operation));
        Assert.All(records, r => Assert.Equal("Failed", r.ResultType));
        Assert.Equal(["NotFound", "NotFound", "NotFound", "NotFound", "NotFound", "NotFound", "InvalidInput"], records.Select(r => r.ResultSignature));

        // Past its retention a deleted secret is purged, whether or not a write swept it away yet.
        home.Clock.Advance(TimeSpan.FromDays(91));
        Throws(() => vault.FindSecretFor(SecretChange.Recover, "gone"), "SecretNotFound");
    }

    [Fact]
    public void ACallerWithoutTheChangesRoleIsDeniedWhetherOrNotTheSecretExists()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v1");
        var reader = TestHome.Caller("uid:5001");
        vault.NewRoleAssignment("Vault Secrets User", reader.Principal, RbacScope.Root);
        var asReader = home.As(reader).Open("app");

        Throws(() => asReader.FindSecretFor(SecretChange.Delete, "db"), "AccessDenied");
        Throws(() => asReader.FindSecretFor(SecretChange.Delete, "missing"), "AccessDenied");
        Assert.Equal("Denied", AuditRows.Read(vault.Path).Last().ResultType);
    }

    [Fact]
    public void RoleLookupsGiveTheRemovalsAndTheAssignmentsErrors()
    {
        var vault = home.NewVault("app");
        vault.NewRoleDefinition("Spare Role", null, ["Vault/vault/read/action"], []);
        var before = AuditRows.Count(vault.Path);
        var last = AuditRows.LastId(vault.Path);

        Assert.Equal("Spare Role", vault.FindRoleDefinitionForRemoval("spare role"));
        Assert.Equal("Vault Reader", vault.FindRoleForAssignment("vault reader", "uid:4321", "/"));
        Assert.Equal(before, AuditRows.Count(vault.Path));

        Throws(() => vault.FindRoleDefinitionForRemoval("Vault Reader"), "BuiltInRoleReadOnly");
        Throws(() => vault.FindRoleDefinitionForRemoval("No Role"), "RoleDefinitionNotFound");
        Throws(() => vault.FindRoleForAssignment("No Role", "uid:4321", "/"), "RoleDefinitionNotFound");
        Throws(() => vault.FindRoleForAssignment("Vault Reader", "uid:4321", "/nope"), "InvalidScope");
        Assert.Equal(["RoleDefinitionDelete", "RoleDefinitionDelete", "RoleAssignmentCreate", "RoleAssignmentCreate"],
            AuditRows.Read(vault.Path, last).Select(r => r.Operation));
    }

    [Fact]
    public void VersionAndPrincipalCompletionWritesNoRecordAndShowsOnlyWhatTheCallerMaySee()
    {
        var vault = home.NewVault("app");
        vault.Set("db", "v1");
        vault.Set("db", "v2");
        vault.Set("payroll", "p");
        var dev = TestHome.Caller("uid:5001");
        vault.NewRoleAssignment("Vault Secrets User", dev.Principal, RbacScope.ForSecret("db"));
        var versions = vault.ListVersions("db").Select(v => v.Version).ToList();
        var before = AuditRows.Count(vault.Path);

        Assert.Equal(versions, home.Manager.Open("app").CompleteVersions("DB", 500).Select(v => v.Version));
        Assert.Single(home.Manager.Open("app").CompleteVersions("db", 1));
        Assert.Empty(home.Manager.Open("app").CompleteVersions("missing", 500));

        var asDev = home.As(dev).Open("app");
        Assert.Equal(versions, asDev.CompleteVersions("db", 500).Select(v => v.Version));
        Assert.Empty(asDev.CompleteVersions("payroll", 500));

        // The administrator sees who holds roles; a caller who may not read assignments sees only itself.
        Assert.Contains("user-uid:5001", home.Manager.Open("app").CompletePrincipalNames(withIds: true));
        Assert.Equal(["user-uid:5001"], asDev.CompletePrincipalNames(withIds: true));
        Assert.Equal(before, AuditRows.Count(vault.Path));
    }
}
