using System.Management.Automation;

namespace Vault.PowerShell.Tests;

/// <summary>
/// Access control through the cmdlets. The module has no identity override: the caller is this
/// process's account, so denials are shown by that account giving up its own Administrator role.
/// </summary>
public sealed class RbacCmdletTests : IDisposable
{
    private readonly VaultShell shell = new();

    public RbacCmdletTests() => shell.Run("""
        New-Vault rbac-vault | Out-Null
        'db', 'app1-db', 'app1-api', 'app2-db' | ForEach-Object { Set-VaultSecret rbac-vault $_ "$_-value" }
        $me = Get-VaultContext
        """).Succeeded();

    public void Dispose() => shell.Dispose();

    private static T Prop<T>(PSObject o, string name) => (T)o.Properties[name].Value;

    /// <summary>Hands administration to another principal and keeps only <paramref name="role"/> at <paramref name="scope"/>.</summary>
    private void DemoteSelf(string role, string scope) => shell.Run($"""
        New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault Administrator' -PrincipalId uid:99999 | Out-Null
        New-VaultRoleAssignment rbac-vault -RoleDefinitionName '{role}' -PrincipalId $me.PrincipalId -Scope '{scope}' | Out-Null
        Get-VaultRoleAssignment rbac-vault -PrincipalName $me.PrincipalId -RoleDefinitionName 'Vault Administrator' | Remove-VaultRoleAssignment -Force
        """).Succeeded();

    [Fact]
    public void GetVaultContextShowsTheOperatingSystemAccount()
    {
        var context = shell.Run("Get-VaultContext").Succeeded().Single();
        Assert.Equal("Vault.VaultContext", context.TypeNames[0]);
        Assert.Equal($"uid:{Environment.GetEnvironmentVariable("UID") ?? Run("id", "-u")}", Prop<string>(context, "PrincipalId"));
        Assert.Equal(Run("id", "-un"), Prop<string>(context, "PrincipalName"));
        Assert.Equal("OperatingSystem", Prop<string>(context, "Authentication"));
        Assert.Contains($"{Run("id", "-gn")} (gid:{Run("id", "-g")})", Prop<IReadOnlyList<string>>(context, "Groups"));
        Assert.Equal("rbac-vault", Prop<string>(context, "DefaultVault"));
        Assert.Equal(shell.Home, Prop<string>(context, "VaultHome"));
    }

    private static string Run(string file, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    [Fact]
    public void TheCreatorIsAdministratorOfTheWholeVault()
    {
        var assignment = shell.Run("Get-VaultRoleAssignment rbac-vault").Succeeded().Single();
        Assert.Equal("Vault.VaultRoleAssignment", assignment.TypeNames[0]);
        Assert.Equal("Vault Administrator", Prop<string>(assignment, "RoleDefinitionName"));
        Assert.Equal("/", Prop<string>(assignment, "Scope"));
        Assert.Equal(shell.Run("$me.PrincipalId").Single().ToString(), Prop<string>(assignment, "PrincipalId"));
        Assert.Equal(7, shell.Run("Get-VaultRoleDefinition rbac-vault | Where-Object IsBuiltIn").Output.Count);
        Assert.Matches(@"RoleDefinitionName\s+PrincipalName\s+PrincipalType\s+Scope\s+PrincipalId", string.Join("\n", shell.Run("Get-VaultRoleAssignment rbac-vault | Out-String -Width 200").Output));
    }

    [Fact]
    public void AScopedRoleReadsItsSecretsOnlyAndDenialsLeakNothing()
    {
        DemoteSelf("Vault Secrets User", "/secrets/app1-*");
        Assert.Equal("app1-db-value", shell.Run("Get-VaultSecret rbac-vault app1-db -AsPlainText").Succeeded().Single().BaseObject);
        Assert.Equal(["app1-api", "app1-db"], shell.Run("Get-VaultSecret rbac-vault").Succeeded().Output.Select(o => Prop<string>(o, "Name")));

        var existing = shell.Fails("Get-VaultSecret rbac-vault app2-db", "AccessDenied", terminating: false);
        var missing = shell.Fails("Get-VaultSecret rbac-vault no-such-secret", "AccessDenied", terminating: false);
        Assert.Equal(ErrorCategory.PermissionDenied, existing.CategoryInfo.Category);
        Assert.Equal("/secrets/app2-db", existing.TargetObject);
        Assert.Equal(
            existing.Exception.Message.Replace("app2-db", "X", StringComparison.Ordinal),
            missing.Exception.Message.Replace("no-such-secret", "X", StringComparison.Ordinal));
        Assert.Contains("Vault/secrets/getSecret/action", existing.Exception.Message);

        shell.Fails("Set-VaultSecret rbac-vault app1-db 'nope'", "AccessDenied", terminating: false);
        shell.Fails("Get-VaultRoleAssignment rbac-vault", "AccessDenied", terminating: false);
        var self = shell.Run("Test-VaultAccess rbac-vault -Action Vault/secrets/getSecret/action -Scope /secrets/app1-db").Succeeded().Single();
        Assert.True(Prop<bool>(self, "Allowed"));
        Assert.Equal("Vault Secrets User at /secrets/app1-*", Prop<string>(self, "GrantedBy"));

        // A role anywhere in the vault shows the vault and unlocks it; Lock-Vault needs none; settings stay decided at '/'.
        Assert.Equal("rbac-vault", Prop<string>(shell.Run("Get-Vault rbac-vault").Succeeded().Single(), "VaultName"));
        Assert.Equal("rbac-vault", Prop<string>(shell.Run("Lock-Vault rbac-vault; Unlock-Vault rbac-vault -PassThru").Succeeded().Single(), "VaultName"));
        shell.Run("Lock-Vault rbac-vault").Succeeded();
        var update = shell.Fails("Update-Vault rbac-vault -SoftDeleteRetentionInDays 30", "AccessDenied", terminating: false);
        Assert.Equal("/", update.TargetObject);

        // A pipeline goes on past a denial.
        var result = shell.Run("'app1-db', 'db', 'app1-api' | ForEach-Object { Get-VaultSecret rbac-vault $_ -AsPlainText }");
        Assert.Equal(["app1-db-value", "app1-api-value"], result.Output.Select(o => o.ToString()));
        Assert.Equal("AccessDenied,Vault.PowerShell.Commands.GetVaultSecretCommand", Assert.Single(result.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void CustomRolesFromActionsOrAnAzureShapedFile()
    {
        var file = Path.Combine(shell.Home, "role.json");
        File.WriteAllText(file, """
            { "Name": "App Reader", "Description": "Reads app secrets", "Actions": [], "NotActions": [],
              "DataActions": [ "Vault/secrets/getSecret/action", "Vault/secrets/readMetadata/action", "Vault/vault/read/action" ],
              "NotDataActions": [], "AssignableScopes": [ "/" ] }
            """);
        var fromFile = shell.Run($"New-VaultRoleDefinition rbac-vault -InputFile '{file}'").Succeeded().Single();
        Assert.Equal("App Reader", Prop<string>(fromFile, "Name"));
        Assert.False(Prop<bool>(fromFile, "IsBuiltIn"));
        var made = shell.Run("New-VaultRoleDefinition rbac-vault -Name 'Metadata Only' -DataActions 'Vault/secrets/*' -NotDataActions 'Vault/secrets/getSecret/action' -Description 'No values'").Succeeded().Single();
        Assert.Equal(["Vault/secrets/getSecret/action"], Prop<IReadOnlyList<string>>(made, "NotDataActions"));

        shell.Fails("New-VaultRoleDefinition rbac-vault -Name Typo -DataActions 'Vault/secrets/getSecrets/action'", "InvalidRoleDefinition", terminating: true);
        shell.Fails("New-VaultRoleDefinition rbac-vault -Name 'app reader' -DataActions 'Vault/vault/read/action'", "RoleDefinitionExists", terminating: false);
        shell.Fails("Remove-VaultRoleDefinition rbac-vault 'Vault Reader' -Force", "BuiltInRoleReadOnly", terminating: false);
        shell.Run("New-VaultRoleAssignment rbac-vault 'App Reader' -PrincipalId uid:4242 -Scope /secrets/app1-db | Out-Null").Succeeded();
        shell.Fails("Remove-VaultRoleDefinition rbac-vault 'App Reader' -Force", "RoleDefinitionInUse", terminating: false);
        shell.Run("Get-VaultRoleAssignment rbac-vault -RoleDefinitionName 'App Reader' | Remove-VaultRoleAssignment -Force; Remove-VaultRoleDefinition rbac-vault 'App Reader' -Force").Succeeded();
        shell.Fails("Get-VaultRoleDefinition rbac-vault 'App Reader'", "RoleDefinitionNotFound", terminating: false);
    }

    [Fact]
    public void AssignmentsAreCheckedAndTheLastAdministratorStays()
    {
        shell.Fails("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalId uid:4242 -Scope /keys/x", "InvalidScope", terminating: true);
        shell.Fails("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalName no-such-account-xyz", "PrincipalNotFound", terminating: false);
        shell.Run("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalId uid:4242 | Out-Null").Succeeded();
        shell.Fails("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalId uid:4242", "RoleAssignmentExists", terminating: false);
        shell.Fails("Remove-VaultRoleAssignment rbac-vault 'Vault Administrator' -PrincipalName $me.PrincipalId -Force", "LastAdministrator", terminating: false);
        shell.Fails("Remove-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalName uid:5555 -Force", "RoleAssignmentNotFound", terminating: false);

        // Through a group: the caller's own primary group.
        shell.Run("New-VaultRoleAssignment rbac-vault 'Vault Secrets User' -PrincipalName (Get-VaultContext).Groups[0].Split(' ')[0] -PrincipalType Group | Out-Null").Succeeded();
        var decision = shell.Run("Test-VaultAccess rbac-vault -PrincipalName uid:4242 -Action Vault/vault/read/action").Succeeded().Single();
        Assert.True(Prop<bool>(decision, "Allowed"));
        Assert.Matches(@"Allowed\s+: True", string.Join("\n", shell.Run("Test-VaultAccess rbac-vault -PrincipalName uid:4242 -Action Vault/vault/read/action | Out-String").Output));

        // Test-VaultAccess refuses what it cannot answer honestly: an unknown action or a pattern, a name nobody has.
        var typo = shell.Fails("Test-VaultAccess rbac-vault -Action Vault/secrets/getSecrets/action", "InvalidAction", terminating: true);
        Assert.Contains("'Vault/secrets/getSecrets/action' is not a Vault action", typo.Exception.Message);
        shell.Fails("Test-VaultAccess rbac-vault -Action 'Vault/*'", "InvalidAction", terminating: true);
        shell.Fails("Test-VaultAccess rbac-vault -PrincipalName no-such-account-xyz -Action Vault/vault/read/action", "PrincipalNotFound", terminating: false);
        Assert.True(Prop<bool>(shell.Run("Test-VaultAccess rbac-vault -Action vault/VAULT/read/ACTION").Succeeded().Single(), "Allowed"));

        // An id's form gives its type when -PrincipalType is not named.
        var group = shell.Run("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalId gid:4243").Succeeded().Single();
        Assert.Equal("Group", Prop<object>(group, "PrincipalType").ToString());
        var app = shell.Run("New-VaultRoleAssignment rbac-vault 'Vault Reader' -PrincipalId app:billing").Succeeded().Single();
        Assert.Equal("Application", Prop<object>(app, "PrincipalType").ToString());
    }

    [Fact]
    public void RoleNamesComplete()
    {
        const string line = "New-VaultRoleAssignment rbac-vault -RoleDefinitionName 'Vault S";
        var completions = shell.Run($"(TabExpansion2 -inputScript \"{line}\" -cursorColumn {line.Length}).CompletionMatches.CompletionText").Succeeded().Output.Select(o => o.ToString()).ToList();
        Assert.Contains("'Vault Secrets Officer'", completions);
        Assert.Contains("'Vault Secrets User'", completions);
    }
}
