using Vault.Core.Authorization;

namespace Vault.Core;

/// <summary>
/// Names for tab completion. Completion is not an operation: it opens no keyring, prompts for no PIN,
/// writes no audit record, and shows only what the caller's listings would show.
/// </summary>
public sealed partial class VaultService
{
    /// <summary>Live (or deleted and still recoverable) secret names that match, as a listing would show them; at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<string> CompleteSecretNames(NamePattern pattern, bool deleted, int limit)
    {
        var names = deleted
            ? StreamDeleted(pattern, Visibility()).Select(s => s.Name)
            : StreamSecrets(pattern, Visibility()).Select(s => s.Name);
        return names.Take(limit).ToList();
    }

    /// <summary>The built-in and custom role names, when the caller may read role definitions; otherwise the built-in ones.</summary>
    public IReadOnlyList<string> CompleteRoleNames()
    {
        if (!session.Access().Decider.Decide(Caller, VaultActions.RoleDefinitionRead, RbacScope.Root).Allowed)
        {
            return BuiltInRoles.All.Select(r => r.Name).ToList();
        }

        return session.Access().Roles.Select(r => r.Name).ToList();
    }
}
