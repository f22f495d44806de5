using System.Text.RegularExpressions;
using CsCheck;
using Vault.Core.Authorization;
using Vault.Core.Identity;

namespace Vault.Core.Tests;

/// <summary>
/// The decider against an independent reference model, on generated roles, assignments, callers,
/// actions and scopes: every decision must agree.
/// </summary>
public sealed class AccessDeciderPropertyTests
{
    private static readonly string[] Principals = ["uid:1", "uid:2", "uid:3", "gid:10", "gid:11", "gid:12", "S-1-5-21-1-2-3-1001"];
    private static readonly string[] Names = ["db", "DB", "app1-db", "app1-api", "app2-db", "web", "a"];
    private static readonly string[] PatternPool =
    [
        "Vault/*", "*", "Vault/secrets/*", "Vault/*/read/action", "Vault/keyring/*", "vault/SECRETS/get*",
        "Vault/secrets/*Secret/action", "Vault/*/delete/action", "Vault/roleAssignments/*", "Vault/*/*/action",
    ];

    private static readonly Gen<string> GenAction = Gen.OneOf(VaultActions.All.ToArray());
    private static readonly Gen<string> GenPattern = Gen.Frequency((3, GenAction), (2, Gen.OneOf(PatternPool)));
    private static readonly Gen<string> GenScope = Gen.Frequency(
        (2, Gen.Const("/")),
        (3, Gen.OneOf(Names).Select(n => "/secrets/" + n)),
        (2, Gen.OneOf("app1-", "app", "", "DB", "web", "x").Select(p => "/secrets/" + p + "*")));

    private static readonly Gen<string> GenTarget = Gen.Frequency((1, Gen.Const("/")), (4, Gen.OneOf(Names).Select(n => "/secrets/" + n)));

    private static readonly Gen<VaultRoleDefinition> GenRole =
        Gen.Select(GenPattern.Array[1, 4], GenPattern.Array[0, 2], Gen.Int[0, 1_000_000], (actions, notActions, n) => new VaultRoleDefinition
        {
            Name = "role-" + n,
            Id = Guid.NewGuid(),
            DataActions = actions,
            NotDataActions = notActions,
        });

    private sealed record Case(
        VaultRoleDefinition[] Roles,
        (string Principal, int Role, string Scope)[] Assignments,
        string Caller,
        string[] Groups,
        string Action,
        string Target);

    private static readonly Gen<Case> GenCase =
        from roles in GenRole.Array[1, 6]
        from assignments in Gen.Select(Gen.OneOf(Principals), Gen.Int[0, 5], GenScope).Array[0, 25]
        from caller in Gen.OneOf("uid:1", "uid:2", "uid:3")
        from groups in Gen.OneOf("gid:10", "gid:11", "gid:12", "S-1-5-21-1-2-3-1001").Array[0, 3]
        from action in GenAction
        from target in GenTarget
        select new Case(roles, assignments.Select(a => (a.Item1, a.Item2 % roles.Length, a.Item3)).ToArray(), caller, groups.Distinct().ToArray(), action, target);

    [Fact]
    public void TheDeciderAgreesWithTheReferenceModelOnEveryGeneratedCase()
    {
        var mismatches = 0;
        GenCase.Sample(c =>
        {
            var caller = new CallerContext(
                new Principal(c.Caller, c.Caller, VaultPrincipalType.User),
                c.Groups.Select(g => new Principal(g, g, VaultPrincipalType.Group)),
                "test");
            var assignments = c.Assignments.Select(a => new Assignment(Guid.NewGuid(), a.Principal, a.Principal,
                a.Principal.StartsWith("uid:", StringComparison.Ordinal) ? VaultPrincipalType.User : VaultPrincipalType.Group, c.Roles[a.Role].Id, a.Scope)).ToList();
            var decision = new AccessDecider(c.Roles, assignments).Decide(caller, c.Action, c.Target);
            var expected = Reference(c);
            if (decision.Allowed != expected)
            {
                Interlocked.Increment(ref mismatches);
                Assert.Fail($"decider said {decision.Allowed}, reference {expected}: {decision.Reason}");
            }

            if (decision.Allowed)
            {
                // GrantedBy names a role that really grants it at a scope that really covers the target.
                Assert.Contains(c.Assignments, a => decision.GrantedBy!.StartsWith($"{c.Roles[a.Role].Name} at {a.Scope}", StringComparison.Ordinal));
            }
        }, iter: 20_000);
        Assert.Equal(0, mismatches);
    }

    /// <summary>The rules, written again without the decider's code: regexes for wildcards, a loop for the rest.</summary>
    private static bool Reference(Case c)
    {
        var ids = c.Groups.Append(c.Caller).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (principal, roleIndex, scope) in c.Assignments)
        {
            var role = c.Roles[roleIndex];
            if (ids.Contains(principal) && Covers(scope, c.Target)
                && role.DataActions.Any(p => Glob(p, c.Action)) && !role.NotDataActions.Any(p => Glob(p, c.Action)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Covers(string scope, string target) => scope switch
    {
        "/" => true,
        _ when scope.EndsWith('*') => target != "/" && Regex.IsMatch(target, "^" + Regex.Escape(scope[..^1]), RegexOptions.IgnoreCase),
        _ => string.Equals(scope, target, StringComparison.OrdinalIgnoreCase),
    };

    private static bool Glob(string pattern, string action) =>
        Regex.IsMatch(action, "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.Singleline);
}
