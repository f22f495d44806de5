using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Identity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>Role definitions, role assignments and access decisions: the vault's access control.</summary>
public sealed partial class VaultService
{
    /// <summary>
    /// The built-in roles and the vault's custom roles whose names match. An exact name that matches
    /// none is RoleDefinitionNotFound, once the listing's record is written.
    /// </summary>
    public IEnumerable<VaultRoleDefinition> GetRoleDefinitions(NamePattern? pattern = null)
    {
        pattern ??= NamePattern.All;
        var roles = Run(Operation(AuditOperations.RoleDefinitionList).Property("pattern", pattern.ToString()).Requires(VaultActions.RoleDefinitionRead), _ =>
            vault.Roles(VaultName).Roles
                .Where(r => pattern.IsMatch(r.Name))
                .Select(r => WithVault(r))
                .ToList());
        if (roles.Count == 0 && pattern.Pattern is { } name && !NamePattern.HasWildcard(name))
        {
            throw VaultErrors.RoleDefinitionNotFound(name, VaultName);
        }

        return roles;
    }

    /// <summary>A custom role: data actions (wildcards allowed) minus not-data actions.</summary>
    public VaultRoleDefinition NewRoleDefinition(string name, string? description, IEnumerable<string> dataActions, IEnumerable<string> notDataActions) =>
        Run(Operation(AuditOperations.RoleDefinitionCreate), op => NewRoleDefinition(op, name, description, dataActions, notDataActions));

    private VaultRoleDefinition NewRoleDefinition(Operation op, string name, string? description, IEnumerable<string> dataActions, IEnumerable<string> notDataActions)
    {
        op.Property("role", name);
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
        var roles = op.Transaction.Roles;
        if (roles.ReadDefinitions().Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw VaultErrors.RoleDefinitionExists(name, VaultName);
        }

        roles.InsertDefinition(row with { Mac = Integrity.MetadataFormat.Role(op.Barrier, row) });
        op.State.Roles();
        op.Description = $"DataActions {string.Join(", ", actions)}; NotDataActions {string.Join(", ", notActions)}.";
        op.Commit();
        return WithVault(RoleCache.RoleFromRow(row));
    }

    /// <summary>A custom role from a file in the shape of an Azure role definition (Name, Description, DataActions, NotDataActions).</summary>
    public VaultRoleDefinition NewRoleDefinitionFromJson(string json, string source) => Run(Operation(AuditOperations.RoleDefinitionCreate).Property("source", source), op =>
    {
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

        return NewRoleDefinition(op, name, definition.Description, definition.DataActions ?? [], definition.NotDataActions ?? []);
    });

    /// <summary>Removes a custom role. Refused for built-in roles, and while the role is assigned.</summary>
    public void RemoveRoleDefinition(string name) => Run(Operation(AuditOperations.RoleDefinitionDelete).Property("role", name).Requires(VaultActions.RoleDefinitionDelete), op =>
    {
        if (BuiltInRoles.Find(name) is { } builtIn)
        {
            throw VaultErrors.BuiltInRoleReadOnly(builtIn.Name);
        }

        var roles = op.Transaction.Roles;
        var row = roles.ReadDefinitions().FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw VaultErrors.RoleDefinitionNotFound(name, VaultName);
        var uses = roles.ReadAssignments().Count(a => a.RoleDefinitionId == row.Id);
        if (uses > 0)
        {
            throw VaultErrors.RoleDefinitionInUse(row.Name, uses, VaultName);
        }

        roles.DeleteDefinition(row.Id);
        op.State.Roles();
    });

    /// <summary>
    /// What <see cref="RemoveRoleDefinition"/> checks before it acts, without acting: the caller's role
    /// for it, then a custom role of that name (a built-in one is BuiltInRoleReadOnly). -WhatIf runs it
    /// first; a failure is recorded as the removal's would be, a success not at all. Returns the name as stored.
    /// </summary>
    public string FindRoleDefinitionForRemoval(string name) =>
        Run(Operation(AuditOperations.RoleDefinitionDelete).Property("role", name).Requires(VaultActions.RoleDefinitionDelete).RecordFailureOnly(), _ =>
        {
            if (BuiltInRoles.Find(name) is { } builtIn)
            {
                throw VaultErrors.BuiltInRoleReadOnly(builtIn.Name);
            }

            var role = FindRole(name);
            return role.Name;
        });

    /// <summary>
    /// What <see cref="NewRoleAssignment"/> checks before it acts, without acting: the caller's role for
    /// it, the scope, and the role to give. -WhatIf runs it first; a failure is recorded as the assignment's would be.
    /// </summary>
    public string FindRoleForAssignment(string roleName, string principal, string scope) =>
        Run(Operation(AuditOperations.RoleAssignmentCreate).Property("role", roleName).Property("principal", principal).Property("scope", scope)
            .Requires(VaultActions.RoleAssignmentWrite).RecordFailureOnly(), _ =>
        {
            RbacScope.Normalize(scope);
            return FindRole(roleName).Name;
        });

    /// <summary>Assignments, optionally only those of a principal (name or id), at a scope, or of a role.</summary>
    public IEnumerable<VaultRoleAssignment> GetRoleAssignments(string? principal = null, string? scope = null, string? roleName = null) =>
        Run(Operation(AuditOperations.RoleAssignmentList).Property("principal", principal).Property("scope", scope).Property("role", roleName), _ =>
            ListAssignments(principal, scope, roleName));

    private List<VaultRoleAssignment> ListAssignments(string? principal, string? scope, string? roleName)
    {
        Authorize(VaultActions.RoleAssignmentRead, RbacScope.Root);
        var access = vault.Roles(VaultName);
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

    /// <summary>
    /// The principal a role assignment will name: by id (any id, known here or not) or by a name this
    /// computer knows; its type from <paramref name="type"/>, or from the id's form. Not an operation: nothing is recorded.
    /// </summary>
    public static Principal ResolvePrincipal(string? name, string? id, VaultPrincipalType? type) => Principals.Resolve(name, id, type);

    /// <summary>A scope as an assignment stores it (<c>/</c>, <c>/secrets/db</c>, <c>/secrets/app-*</c>); InvalidScope otherwise.</summary>
    public static string NormalizeScope(string scope) => RbacScope.Normalize(scope);

    /// <summary>Gives a role to a principal at a scope.</summary>
    public VaultRoleAssignment NewRoleAssignment(string roleName, Principal principal, string scope)
    {
        var operation = Operation(AuditOperations.RoleAssignmentCreate).Property("role", roleName).Property("principal", principal.ToString()).Property("scope", scope)
            .Requires(VaultActions.RoleAssignmentWrite);
        return Run(operation, op =>
        {
            var normalized = RbacScope.Normalize(scope);
            var role = FindRole(roleName);
            var row = new RoleAssignmentRow(Guid.NewGuid(), principal.Id, principal.Name, principal.Type.ToString(), role.Id, normalized, Now);
            var roles = op.Transaction.Roles;
            if (roles.ReadAssignments().Any(a => string.Equals(a.PrincipalId, principal.Id, StringComparison.OrdinalIgnoreCase)
                && a.RoleDefinitionId == role.Id && string.Equals(a.Scope, normalized, StringComparison.OrdinalIgnoreCase)))
            {
                throw VaultErrors.RoleAssignmentExists(principal.ToString(), role.Name, normalized, VaultName);
            }

            roles.InsertAssignment(row with { Mac = Integrity.MetadataFormat.Assignment(op.Barrier, row) });
            op.State.Roles();
            op.Description = $"{role.Name} for {principal} at {normalized}.";
            op.Commit();
            return ToAssignment(row, [role]);
        });
    }

    /// <summary>Removes an assignment. The last Vault Administrator at / stays: without it nobody could manage the vault.</summary>
    public VaultRoleAssignment RemoveRoleAssignment(Guid id) =>
        Run(Operation(AuditOperations.RoleAssignmentDelete).Property("assignmentId", id.ToString()).Requires(VaultActions.RoleAssignmentDelete), op =>
        {
            var roleDefinitions = vault.Roles(VaultName).Roles;
            var roles = op.Transaction.Roles;
            var assignments = roles.ReadAssignments();
            var row = assignments.FirstOrDefault(a => a.Id == id) ?? throw VaultErrors.RoleAssignmentNotFound(VaultName, id.ToString());
            var administrator = BuiltInRoles.All[0].Id;
            if (row.RoleDefinitionId == administrator && row.Scope == RbacScope.Root
                && assignments.Count(a => a.RoleDefinitionId == administrator && a.Scope == RbacScope.Root) == 1)
            {
                throw VaultErrors.LastAdministrator(VaultName);
            }

            roles.DeleteAssignment(id);
            op.State.Roles();
            var removed = ToAssignment(row, roleDefinitions);
            op.Description = $"{removed.RoleDefinitionName} for {row.PrincipalName ?? row.PrincipalId} ({row.PrincipalId}) at {row.Scope}.";
            return removed;
        });

    /// <summary>The assignment of a role to a principal at a scope (for removal by those three).</summary>
    /// <remarks>Part of a removal: a failure here is that removal's record; a success leaves the record to the removal.</remarks>
    public VaultRoleAssignment FindRoleAssignment(string roleName, string principalId, string scope)
    {
        var operation = Operation(AuditOperations.RoleAssignmentDelete).Property("role", roleName).Property("principal", principalId).Property("scope", scope)
            .RecordFailureOnly();
        return Run(operation, _ =>
        {
            var normalized = RbacScope.Normalize(scope);
            var role = FindRole(roleName);
            return ListAssignments(principalId, normalized, role.Name).FirstOrDefault()
                ?? throw VaultErrors.RoleAssignmentNotFound(VaultName, $"{role.Name} for {principalId} at {normalized}");
        });
    }

    /// <summary>The assignment with an id (for removal by id).</summary>
    /// <remarks>Part of a removal, as <see cref="FindRoleAssignment(string, string, string)"/> is.</remarks>
    public VaultRoleAssignment FindRoleAssignment(Guid id)
    {
        var operation = Operation(AuditOperations.RoleAssignmentDelete).Property("assignmentId", id.ToString()).RecordFailureOnly();
        return Run(operation, _ =>
            ListAssignments(null, null, null).FirstOrDefault(a => a.Id == id) ?? throw VaultErrors.RoleAssignmentNotFound(VaultName, id.ToString()));
    }

    /// <summary>What the decider says for a principal (with its groups), an action and a scope, and why.</summary>
    public VaultAccessDecision TestAccess(CallerContext subject, string action, string scope) =>
        Run(Operation(AuditOperations.AccessTest).Property("principal", subject.Principal.ToString()).Property("action", action).Property("scope", scope), op =>
        {
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

            var decision = vault.Roles(VaultName).Decider.Decide(subject, action, normalized);
            op.Description = decision.Allowed ? $"Allowed: {decision.GrantedBy}." : "Denied.";
            return decision;
        });

    /// <summary>As <see cref="TestAccess(CallerContext, string, string)"/>, for a user by name or id (with the groups this computer gives it), or the caller when null.</summary>
    public VaultAccessDecision TestAccess(string? principal, string action, string scope) =>
        TestAccess(principal is null ? Caller : Principals.CallerFor(principal), action, scope);

    /// <summary>The built-in and custom role names, when the caller may read role definitions; otherwise the built-in ones. Completion: nothing is recorded.</summary>
    public IReadOnlyList<string> CompleteRoleNames()
    {
        if (!vault.Roles(VaultName).Decider.Decide(Caller, VaultActions.RoleDefinitionRead, RbacScope.Root).Allowed)
        {
            return BuiltInRoles.All.Select(r => r.Name).ToList();
        }

        return vault.Roles(VaultName).Roles.Select(r => r.Name).ToList();
    }

    /// <summary>
    /// Principals a role-assignment command may name, for tab completion: the caller, and, when the
    /// caller may read role assignments, every principal assigned a role in this vault by its name
    /// (with <paramref name="withIds"/>, by its id where it has no name). Completion: nothing is
    /// recorded and no keyring is opened.
    /// </summary>
    public IReadOnlyList<string> CompletePrincipalNames(bool withIds)
    {
        var names = new List<string> { Caller.Principal.Name };
        var access = vault.Roles(VaultName);
        if (access.Decider.Decide(Caller, VaultActions.RoleAssignmentRead, RbacScope.Root).Allowed)
        {
            // An id this computer could not name is stored as its own name: it is an id all the same.
            names.AddRange(access.Assignments
                .Where(a => withIds || (a.PrincipalName is not null && !string.Equals(a.PrincipalName, a.PrincipalId, StringComparison.OrdinalIgnoreCase)))
                .Select(a => a.PrincipalName ?? a.PrincipalId));
        }

        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private VaultRoleDefinition FindRole(string name) =>
        vault.Roles(VaultName).Roles.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
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
