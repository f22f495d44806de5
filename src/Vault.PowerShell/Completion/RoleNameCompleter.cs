using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>Completes role names (quoted: they have spaces): the built-in ones, and the vault's custom ones where the caller may read them (only those for Remove-VaultRoleDefinition). Writes no audit record.</summary>
public sealed class RoleNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IEnumerable<string> names = BuiltInRoles.All.Select(r => r.Name);
        try
        {
            names = VaultManager.ForCurrentUser().Open(fakeBoundParameters["VaultName"] as string).CompleteRoleNames();
        }
        catch (Exception)
        {
            // The built-in roles are in every vault.
        }

        if (string.Equals(commandName, "Remove-VaultRoleDefinition", StringComparison.OrdinalIgnoreCase))
        {
            // Only a custom role can be removed.
            names = names.Where(n => !BuiltInRoles.All.Any(r => string.Equals(r.Name, n, StringComparison.OrdinalIgnoreCase)));
        }

        return Completions.From(names, wordToComplete).Select(Completions.Quoted).ToList();
    }
}
