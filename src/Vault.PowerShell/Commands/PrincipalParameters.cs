using System.Management.Automation;
using Vault.Core;
using Vault.Core.Identity;

namespace Vault.PowerShell.Commands;

/// <summary>Resolves -PrincipalName or -PrincipalId to a principal, as the operating system knows it.</summary>
internal static class PrincipalParameters
{
    /// <param name="type">The type the user gave, or null to take it from the id's form (gid: is a group, app: an application).</param>
    public static Principal Resolve(string? name, string? id, VaultPrincipalType? type)
    {
        if (id is not null)
        {
            var kind = type ?? Principal.TypeOfId(id);
            // An id need not be an account of this computer (a shared vault's other machines).
            return OsIdentity.Resolve(id, kind) ?? new Principal(id, id, kind);
        }

        var nameType = type ?? VaultPrincipalType.User;
        return OsIdentity.Resolve(name!, nameType) ?? throw VaultErrors.PrincipalNotFound(name!, nameType);
    }
}
