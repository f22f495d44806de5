using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>Completes registered vault names. Reads the registry only: no vault is opened.</summary>
public sealed class VaultNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string> names;
        try
        {
            names = VaultManager.ForCurrentUser().VaultNames;
        }
        catch (Exception)
        {
            // Completion must never throw into the user's prompt.
            return [];
        }

        return Completions.From(names, wordToComplete);
    }
}
