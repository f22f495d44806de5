using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>Completes action names.</summary>
public sealed class ActionCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.From(VaultActions.All, wordToComplete);
}
