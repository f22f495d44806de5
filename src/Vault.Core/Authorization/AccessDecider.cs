using Vault.Core.Identity;

namespace Vault.Core.Authorization;

/// <summary>A role assignment as the decider sees it.</summary>
public sealed record Assignment(Guid Id, string PrincipalId, string? PrincipalName, VaultPrincipalType PrincipalType, Guid RoleId, string Scope);

/// <summary>
/// The one place access is decided. Deny by default: an action is allowed when an assignment to the
/// caller or one of its groups, at a scope that covers the target, has a role whose DataActions match
/// the action and whose NotDataActions do not. Pure: the same inputs give the same decision.
/// </summary>
/// <remarks>
/// Built once per version of the vault's assignments, so a decision touches only what can apply:
/// each principal's assignments are bucketed by scope (the root, exact secrets, prefixes), a bucket
/// keeps one assignment per role, and each role's verdict on every known action is worked out up
/// front. A decision is then a handful of dictionary lookups, however many assignments the vault has.
/// </remarks>
public sealed class AccessDecider
{
    private readonly Dictionary<string, PrincipalIndex> byPrincipal;

    public AccessDecider(IEnumerable<VaultRoleDefinition> roles, IEnumerable<Assignment> assignments)
    {
        var verdicts = roles.ToDictionary(r => r.Id, r => new RoleVerdicts(r));
        byPrincipal = new Dictionary<string, PrincipalIndex>(StringComparer.OrdinalIgnoreCase);
        foreach (var assignment in assignments)
        {
            if (!verdicts.TryGetValue(assignment.RoleId, out var role))
            {
                continue;
            }

            if (!byPrincipal.TryGetValue(assignment.PrincipalId, out var index))
            {
                byPrincipal[assignment.PrincipalId] = index = new PrincipalIndex();
            }

            index.Add(assignment, role);
        }
    }

    /// <summary>
    /// Whether any assignment of the caller, at any scope, grants the action: for what a vault-wide
    /// view needs from everyone who has a role somewhere in it (seeing the vault, unlocking it).
    /// </summary>
    public bool GrantsAnywhere(CallerContext caller, string action)
    {
        foreach (var id in caller.Ids)
        {
            if (byPrincipal.TryGetValue(id, out var index) && index.Roles.Any(r => r.Verdict(action) == Verdict.Grants))
            {
                return true;
            }
        }

        return false;
    }

    public VaultAccessDecision Decide(CallerContext caller, string action, string scope)
    {
        var search = new Search(action);
        foreach (var id in caller.Ids)
        {
            if (byPrincipal.TryGetValue(id, out var index) && index.Find(scope, ref search) is { } grant)
            {
                var via = string.Equals(grant.PrincipalId, caller.Principal.Id, StringComparison.OrdinalIgnoreCase)
                    ? string.Empty
                    : $" through group {grant.PrincipalName ?? grant.PrincipalId}";
                var role = search.GrantingRole!;
                return new VaultAccessDecision
                {
                    Allowed = true,
                    Principal = caller.Principal.ToString(),
                    Action = action,
                    Scope = scope,
                    GrantedBy = $"{role} at {grant.Scope}{via}",
                    Reason = $"{role} at {grant.Scope}{via} grants {action}.",
                };
            }
        }

        var reason = search.Considered is not { Count: > 0 } considered
            ? $"No role is assigned to {caller.Principal} or its groups at a scope that covers {scope}."
            : search.ExcludedBy is { } excludedBy
                ? $"{excludedBy} excludes {action} (NotDataActions), and no other role assigned at a scope that covers {scope} grants it."
                : $"The roles assigned at a scope that covers {scope} ({string.Join(", ", considered)}) do not grant {action}.";
        return new VaultAccessDecision
        {
            Allowed = false,
            Principal = caller.Principal.ToString(),
            Action = action,
            Scope = scope,
            Reason = reason,
        };
    }

    private enum Verdict
    {
        Silent,
        Grants,
        Excludes,
    }

    /// <summary>One role's verdict on an action, worked out once for every action Vault knows.</summary>
    private sealed class RoleVerdicts
    {
        private readonly VaultRoleDefinition role;
        private readonly Dictionary<string, Verdict> known;

        public RoleVerdicts(VaultRoleDefinition role)
        {
            this.role = role;
            known = VaultActions.All.ToDictionary(a => a, Compute, StringComparer.OrdinalIgnoreCase);
        }

        public string Name => role.Name;

        public Verdict Verdict(string action) => known.TryGetValue(action, out var verdict) ? verdict : Compute(action);

        private Verdict Compute(string action) =>
            !role.DataActions.Any(p => ActionPattern.Matches(p, action)) ? AccessDecider.Verdict.Silent
            : role.NotDataActions.Any(p => ActionPattern.Matches(p, action)) ? AccessDecider.Verdict.Excludes
            : AccessDecider.Verdict.Grants;
    }

    /// <summary>What one decision has seen so far, across the caller's principals.</summary>
    private struct Search(string action)
    {
        public readonly string Action = action;
        public List<string>? Considered;
        public string? ExcludedBy;
        public string? GrantingRole;

        /// <summary>The assignment that grants the action in this bucket, noting the roles it saw.</summary>
        public Assignment? Look(List<(Assignment Assignment, RoleVerdicts Role)> bucket)
        {
            foreach (var (assignment, role) in bucket)
            {
                Considered ??= [];
                if (!Considered.Contains(role.Name))
                {
                    Considered.Add(role.Name);
                }

                switch (role.Verdict(Action))
                {
                    case Verdict.Grants:
                        GrantingRole = role.Name;
                        return assignment;
                    case Verdict.Excludes:
                        ExcludedBy ??= role.Name;
                        break;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// One principal's assignments by scope: at the root, at one secret, at a prefix. A bucket keeps
    /// the first assignment of each role, which is all a decision needs from it.
    /// </summary>
    private sealed class PrincipalIndex
    {
        private readonly List<(Assignment, RoleVerdicts)> root = [];
        private readonly Dictionary<string, List<(Assignment, RoleVerdicts)>> exact = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<(Assignment, RoleVerdicts)>> prefixes = new(StringComparer.OrdinalIgnoreCase);
        private int shortestPrefix = int.MaxValue;
        private int longestPrefix;

        public HashSet<RoleVerdicts> Roles { get; } = [];

        public void Add(Assignment assignment, RoleVerdicts role)
        {
            Roles.Add(role);
            List<(Assignment, RoleVerdicts)> bucket;
            if (assignment.Scope == RbacScope.Root)
            {
                bucket = root;
            }
            else if (assignment.Scope.EndsWith('*'))
            {
                var prefix = assignment.Scope[..^1];
                if (!prefixes.TryGetValue(prefix, out bucket!))
                {
                    prefixes[prefix] = bucket = [];
                }

                shortestPrefix = Math.Min(shortestPrefix, prefix.Length);
                longestPrefix = Math.Max(longestPrefix, prefix.Length);
            }
            else if (!exact.TryGetValue(assignment.Scope, out bucket!))
            {
                exact[assignment.Scope] = bucket = [];
            }

            if (!bucket.Exists(entry => entry.Item2 == role))
            {
                bucket.Add((assignment, role));
            }
        }

        /// <summary>The buckets whose scope covers the target, in the order of <see cref="RbacScope.Covers"/>.</summary>
        public Assignment? Find(string target, ref Search search)
        {
            if (search.Look(root) is { } atRoot)
            {
                return atRoot;
            }

            if (target == RbacScope.Root)
            {
                return null;
            }

            if (exact.TryGetValue(target, out var one) && search.Look(one) is { } atSecret)
            {
                return atSecret;
            }

            if (prefixes.Count == 0)
            {
                return null;
            }

            var lookup = prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
            for (var length = shortestPrefix; length <= Math.Min(longestPrefix, target.Length); length++)
            {
                if (lookup.TryGetValue(target.AsSpan(0, length), out var bucket) && search.Look(bucket) is { } atPrefix)
                {
                    return atPrefix;
                }
            }

            return null;
        }
    }
}
