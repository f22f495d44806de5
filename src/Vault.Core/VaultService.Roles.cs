using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Identity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>Role definitions, role assignments and access decisions: the vault's access control.</summary>
public sealed partial class VaultService
{
    /// <summary>The built-in roles and the vault's custom roles whose names match.</summary>
    public IEnumerable<VaultRoleDefinition> GetRoleDefinitions(NamePattern? pattern = null) => Audited(AuditOperations.RoleDefinitionList, null, call =>
    {
        pattern ??= NamePattern.All;
        call.Property("pattern", pattern.ToString());
        Authorize(VaultActions.RoleDefinitionRead, RbacScope.Root);
        return session.Access().Roles
            .Where(r => pattern.IsMatch(r.Name))
            .Select(r => WithVault(r))
            .ToList();
    });

    /// <summary>A custom role: data actions (wildcards allowed) minus not-data actions.</summary>
    public VaultRoleDefinition NewRoleDefinition(string name, string? description, IEnumerable<string> dataActions, IEnumerable<string> notDataActions) =>
        Audited(AuditOperations.RoleDefinitionCreate, null, call => NewRoleDefinition(call, name, description, dataActions, notDataActions));

    private VaultRoleDefinition NewRoleDefinition(AuditCall call, string name, string? description, IEnumerable<string> dataActions, IEnumerable<string> notDataActions)
    {
        call.Property("role", name);
        Authorize(VaultActions.RoleDefinitionWrite, RbacScope.Root);
        name = name.Trim();
        if (name.Length is 0 or > 128)
        {
            throw VaultErrors.InvalidRoleDefinition(name, "a role name is 1 to 128 characters.");
        }

        var actions = CheckActions(name, dataActions, "DataActions");
        var notActions = CheckActions(name, notDataActions, "NotDataActions");
        if (actions.Length == 0)
        {
            throw VaultErrors.InvalidRoleDefinition(name, "it grants no DataActions.");
        }

        if (BuiltInRoles.Find(name) is not null)
        {
            throw VaultErrors.RoleDefinitionExists(name, VaultName);
        }

        var row = new RoleDefinitionRow(Guid.NewGuid(), name, description,
            JsonSerializer.Serialize(actions, RbacJson.Default.StringArray),
            JsonSerializer.Serialize(notActions, RbacJson.Default.StringArray), Now);
        using (var db = call.Begin())
        {
            if (db.ReadRoleDefinitions().Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw VaultErrors.RoleDefinitionExists(name, VaultName);
            }

            db.InsertRoleDefinition(row);
            call.Description = $"DataActions {string.Join(", ", actions)}; NotDataActions {string.Join(", ", notActions)}.";
            call.Commit(db);
        }

        return WithVault(VaultSession.RoleFromRow(row));
    }

    /// <summary>A custom role from a file in the shape of an Azure role definition (Name, Description, DataActions, NotDataActions).</summary>
    public VaultRoleDefinition NewRoleDefinitionFromJson(string json, string source) => Audited(AuditOperations.RoleDefinitionCreate, null, call =>
    {
        call.Property("source", source);
        AzureRoleDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize(json, RbacJson.Default.AzureRoleDefinition);
        }
        catch (JsonException ex)
        {
            throw VaultErrors.InvalidRoleDefinition(source, ex.Message);
        }

        if (definition?.Name is not { Length: > 0 } name)
        {
            throw VaultErrors.InvalidRoleDefinition(source, "it has no Name.");
        }

        if (definition.Actions is { Length: > 0 } || definition.NotActions is { Length: > 0 })
        {
            throw VaultErrors.InvalidRoleDefinition(source, "Actions and NotActions are Azure control-plane permissions; a Vault role has DataActions and NotDataActions only.");
        }

        return NewRoleDefinition(call, name, definition.Description, definition.DataActions ?? [], definition.NotDataActions ?? []);
    });

    /// <summary>Removes a custom role. Refused for built-in roles, and while the role is assigned.</summary>
    public void RemoveRoleDefinition(string name) => Audited(AuditOperations.RoleDefinitionDelete, null, call =>
    {
        call.Property("role", name);
        Authorize(VaultActions.RoleDefinitionDelete, RbacScope.Root);
        if (BuiltInRoles.Find(name) is { } builtIn)
        {
            throw VaultErrors.BuiltInRoleReadOnly(builtIn.Name);
        }

        using var db = call.Begin();
        var row = db.ReadRoleDefinitions().FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw VaultErrors.RoleDefinitionNotFound(name, VaultName);
        var uses = db.ReadRoleAssignments().Count(a => a.RoleDefinitionId == row.Id);
        if (uses > 0)
        {
            throw VaultErrors.RoleDefinitionInUse(row.Name, uses, VaultName);
        }

        db.DeleteRoleDefinition(row.Id);
        call.Commit(db);
    });

    /// <summary>Assignments, optionally only those of a principal (name or id), at a scope, or of a role.</summary>
    public IEnumerable<VaultRoleAssignment> GetRoleAssignments(string? principal = null, string? scope = null, string? roleName = null) =>
        Audited(AuditOperations.RoleAssignmentList, null, call =>
        {
            call.Property("principal", principal).Property("scope", scope).Property("role", roleName);
            return ListAssignments(principal, scope, roleName);
        });

    private List<VaultRoleAssignment> ListAssignments(string? principal, string? scope, string? roleName)
    {
        Authorize(VaultActions.RoleAssignmentRead, RbacScope.Root);
        var access = session.Access();
        var normalizedScope = scope is null ? null : RbacScope.Normalize(scope);
        return access.Assignments
            .Where(a => principal is null
                || string.Equals(a.PrincipalId, principal, StringComparison.OrdinalIgnoreCase)
                || string.Equals(a.PrincipalName, principal, StringComparison.OrdinalIgnoreCase))
            .Where(a => normalizedScope is null || string.Equals(a.Scope, normalizedScope, StringComparison.OrdinalIgnoreCase))
            .Select(a => ToAssignment(a, access.Roles))
            .Where(a => roleName is null || string.Equals(a.RoleDefinitionName, roleName, StringComparison.OrdinalIgnoreCase))
            .ToList();
    }

    /// <summary>Gives a role to a principal at a scope.</summary>
    public VaultRoleAssignment NewRoleAssignment(string roleName, Principal principal, string scope) => Audited(AuditOperations.RoleAssignmentCreate, null, call =>
    {
        call.Property("role", roleName).Property("principal", principal.ToString()).Property("scope", scope);
        Authorize(VaultActions.RoleAssignmentWrite, RbacScope.Root);
        var normalized = RbacScope.Normalize(scope);
        var role = FindRole(roleName);
        var row = new RoleAssignmentRow(Guid.NewGuid(), principal.Id, principal.Name, principal.Type.ToString(), role.Id, normalized, Now);
        using (var db = call.Begin())
        {
            if (db.ReadRoleAssignments().Any(a => string.Equals(a.PrincipalId, principal.Id, StringComparison.OrdinalIgnoreCase)
                && a.RoleDefinitionId == role.Id && string.Equals(a.Scope, normalized, StringComparison.OrdinalIgnoreCase)))
            {
                throw VaultErrors.RoleAssignmentExists(principal.ToString(), role.Name, normalized, VaultName);
            }

            db.InsertRoleAssignment(row);
            call.Description = $"{role.Name} for {principal} at {normalized}.";
            call.Commit(db);
        }

        return ToAssignment(row, [role]);
    });

    /// <summary>Removes an assignment. The last Vault Administrator at / stays: without it nobody could manage the vault.</summary>
    public VaultRoleAssignment RemoveRoleAssignment(Guid id) => Audited(AuditOperations.RoleAssignmentDelete, null, call =>
    {
        call.Property("assignmentId", id.ToString());
        Authorize(VaultActions.RoleAssignmentDelete, RbacScope.Root);
        var roles = session.Access().Roles;
        using var db = call.Begin();
        var assignments = db.ReadRoleAssignments();
        var row = assignments.FirstOrDefault(a => a.Id == id) ?? throw VaultErrors.RoleAssignmentNotFound(VaultName, id.ToString());
        var administrator = BuiltInRoles.All[0].Id;
        if (row.RoleDefinitionId == administrator && row.Scope == RbacScope.Root
            && assignments.Count(a => a.RoleDefinitionId == administrator && a.Scope == RbacScope.Root) == 1)
        {
            throw VaultErrors.LastAdministrator(VaultName);
        }

        db.DeleteRoleAssignment(id);
        var removed = ToAssignment(row, roles);
        call.Description = $"{removed.RoleDefinitionName} for {row.PrincipalName ?? row.PrincipalId} ({row.PrincipalId}) at {row.Scope}.";
        call.Commit(db);
        return removed;
    });

    /// <summary>The assignment of a role to a principal at a scope (for removal by those three).</summary>
    /// <remarks>Part of a removal: a failure here is that removal's record; a success leaves the record to the removal.</remarks>
    public VaultRoleAssignment FindRoleAssignment(string roleName, string principalId, string scope)
    {
        var call = Call(AuditOperations.RoleAssignmentDelete, null).Open();
        call.Property("role", roleName).Property("principal", principalId).Property("scope", scope);
        try
        {
            var normalized = RbacScope.Normalize(scope);
            var role = FindRole(roleName);
            return ListAssignments(principalId, normalized, role.Name).FirstOrDefault()
                ?? throw VaultErrors.RoleAssignmentNotFound(VaultName, $"{role.Name} for {principalId} at {normalized}");
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    /// <summary>What the decider says for a principal (with its groups), an action and a scope, and why.</summary>
    public VaultAccessDecision TestAccess(CallerContext subject, string action, string scope) => Audited(AuditOperations.AccessTest, null, call =>
    {
        call.Property("principal", subject.Principal.ToString()).Property("action", action).Property("scope", scope);
        action = action.Trim();
        if (!VaultActions.All.Contains(action, StringComparer.OrdinalIgnoreCase))
        {
            throw VaultErrors.InvalidAction(action);
        }

        var normalized = RbacScope.Normalize(scope);

        // Anyone may ask about themselves (they could find out by trying); about others, only who may read assignments.
        if (!string.Equals(subject.Principal.Id, Caller.Principal.Id, StringComparison.OrdinalIgnoreCase))
        {
            Authorize(VaultActions.RoleAssignmentRead, RbacScope.Root);
        }

        var decision = session.Access().Decider.Decide(subject, action, normalized);
        call.Description = decision.Allowed ? $"Allowed: {decision.GrantedBy}." : "Denied.";
        return decision;
    });

    private VaultRoleDefinition FindRole(string name) =>
        session.Access().Roles.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw VaultErrors.RoleDefinitionNotFound(name, VaultName);

    private VaultRoleDefinition WithVault(VaultRoleDefinition role) => new()
    {
        Id = role.Id,
        Name = role.Name,
        Description = role.Description,
        DataActions = role.DataActions,
        NotDataActions = role.NotDataActions,
        IsBuiltIn = role.IsBuiltIn,
        VaultName = VaultName,
    };

    private VaultRoleAssignment ToAssignment(RoleAssignmentRow row, IEnumerable<VaultRoleDefinition> roles) => new()
    {
        Id = row.Id,
        VaultName = VaultName,
        PrincipalId = row.PrincipalId,
        PrincipalName = row.PrincipalName,
        PrincipalType = Enum.Parse<VaultPrincipalType>(row.PrincipalType),
        RoleDefinitionId = row.RoleDefinitionId,
        RoleDefinitionName = roles.FirstOrDefault(r => r.Id == row.RoleDefinitionId)?.Name ?? row.RoleDefinitionId.ToString(),
        Scope = row.Scope,
        Created = UnixTime.FromMs(row.Created),
    };

    /// <summary>Each action must be one Vault knows, or a pattern that matches at least one.</summary>
    public static string[] CheckActions(string role, IEnumerable<string> actions, string field)
    {
        var list = actions.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        foreach (var action in list)
        {
            if (!VaultActions.All.Any(known => ActionPattern.Matches(action, known)))
            {
                throw VaultErrors.InvalidRoleDefinition(role, $"{field} '{action}' names no Vault action (see about_Vault_RBAC for the list).");
            }
        }

        return list;
    }
}
