using System.Management.Automation;
using Vault.Core;
using Vault.Core.Identity;

namespace Vault.PowerShell.Commands;

/// <summary>Resolves -PrincipalName or -PrincipalId to a principal, as the operating system knows it.</summary>
internal static class PrincipalParameters
{
    public static Principal Resolve(string? name, string? id, VaultPrincipalType type)
    {
        if (id is not null)
        {
            // An id need not be an account of this computer (a shared vault's other machines).
            return OsIdentity.Resolve(id, type) ?? new Principal(id, id, type);
        }

        return OsIdentity.Resolve(name!, type) ?? throw VaultErrors.PrincipalNotFound(name!, type);
    }
}
