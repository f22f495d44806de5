using Vault.Core.Identity;

namespace Vault.Core.Authorization;

/// <summary>A role assignment as the decider sees it.</summary>
public sealed record Assignment(Guid Id, string PrincipalId, string? PrincipalName, VaultPrincipalType PrincipalType, Guid RoleId, string Scope);

/// <summary>
/// The one place access is decided. Deny by default: an action is allowed when an assignment to the
/// caller or one of its groups, at a scope that covers the target, has a role whose DataActions match
/// the action and whose NotDataActions do not. Pure: the same inputs give the same decision.
/// </summary>
public sealed class AccessDecider
{
    private readonly Dictionary<string, List<Assignment>> byPrincipal;
    private readonly Dictionary<Guid, VaultRoleDefinition> roles;

    public AccessDecider(IEnumerable<VaultRoleDefinition> roles, IEnumerable<Assignment> assignments)
    {
        this.roles = roles.ToDictionary(r => r.Id);
        byPrincipal = assignments
            .GroupBy(a => a.PrincipalId, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Whether any assignment of the caller, at any scope, grants the action: for what a vault-wide
    /// view needs from everyone who has a role somewhere in it (seeing the vault, unlocking it).
    /// </summary>
    public bool GrantsAnywhere(CallerContext caller, string action)
    {
        foreach (var id in caller.Ids)
        {
            if (byPrincipal.TryGetValue(id, out var assignments)
                && assignments.Any(a => roles.TryGetValue(a.RoleId, out var role)
                    && role.DataActions.Any(p => ActionPattern.Matches(p, action))
                    && !role.NotDataActions.Any(p => ActionPattern.Matches(p, action))))
            {
                return true;
            }
        }

        return false;
    }

    public VaultAccessDecision Decide(CallerContext caller, string action, string scope)
    {
        var consideredRoles = new List<string>();
        string? excludedBy = null;
        foreach (var id in caller.Ids)
        {
            if (!byPrincipal.TryGetValue(id, out var assignments))
            {
                continue;
            }

            foreach (var assignment in assignments)
            {
                if (!RbacScope.Covers(assignment.Scope, scope) || !roles.TryGetValue(assignment.RoleId, out var role))
                {
                    continue;
                }

                consideredRoles.Add(role.Name);
                if (!role.DataActions.Any(pattern => ActionPattern.Matches(pattern, action)))
                {
                    continue;
                }

                if (role.NotDataActions.Any(pattern => ActionPattern.Matches(pattern, action)))
                {
                    excludedBy ??= role.Name;
                    continue;
                }

                var via = string.Equals(assignment.PrincipalId, caller.Principal.Id, StringComparison.OrdinalIgnoreCase)
                    ? string.Empty
                    : $" through group {assignment.PrincipalName ?? assignment.PrincipalId}";
                return new VaultAccessDecision
                {
                    Allowed = true,
                    Principal = caller.Principal.ToString(),
                    Action = action,
                    Scope = scope,
                    GrantedBy = $"{role.Name} at {assignment.Scope}{via}",
                    Reason = $"{role.Name} at {assignment.Scope}{via} grants {action}.",
                };
            }
        }

        var reason = consideredRoles.Count == 0
            ? $"No role is assigned to {caller.Principal} or its groups at a scope that covers {scope}."
            : excludedBy is not null
                ? $"{excludedBy} excludes {action} (NotDataActions), and no other role assigned at a scope that covers {scope} grants it."
                : $"The roles assigned at a scope that covers {scope} ({string.Join(", ", consideredRoles.Distinct())}) do not grant {action}.";
        return new VaultAccessDecision
        {
            Allowed = false,
            Principal = caller.Principal.ToString(),
            Action = action,
            Scope = scope,
            Reason = reason,
        };
    }
}
