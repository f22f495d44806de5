using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>
/// Completes principal names: the current user, and the principals assigned a role in the vault named
/// by -VaultName (or the default vault) where the caller may read assignments (by id too, except for
/// New-VaultRoleAssignment, whose -PrincipalName is a name). Cheap: no account
/// database is enumerated, no keyring is opened, and no audit record is written.
/// </summary>
public sealed class PrincipalNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IEnumerable<string> names;
        try
        {
            // New-VaultRoleAssignment -PrincipalName takes a name this computer knows; the others take an id too.
            var withIds = !string.Equals(commandName, "New-VaultRoleAssignment", StringComparison.OrdinalIgnoreCase);
            names = VaultManager.ForCurrentUser().Open(fakeBoundParameters["VaultName"] as string).CompletePrincipalNames(withIds);
        }
        catch (Exception)
        {
            try
            {
                names = [VaultManager.ForCurrentUser().Caller.Principal.Name];
            }
            catch (Exception)
            {
                return [];
            }
        }

        // Quoted where a name needs it (a Windows account: DOMAIN\user, or one with spaces).
        return Completions.From(names, wordToComplete)
            .Select(r => r.CompletionText.Any(c => char.IsWhiteSpace(c) || c is '\\' or '\'' or '$' or '`' or '(' or ')' or '@' or '#' or ';' or ',')
                ? Completions.Quoted(r)
                : r)
            .ToList();
    }
}
