using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>
/// Completes secret names in the vault named by -VaultName (or the default vault); deleted names when
/// -InRemovedState is present. Reads names only: it never unlocks a keyring or prompts, and it
/// writes no audit record.
/// </summary>
public sealed class SecretNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var vaultName = fakeBoundParameters["VaultName"] as string;
            var service = VaultManager.ForCurrentUser().Open(vaultName);
            var pattern = NamePattern.Parse(Completions.Unquote(wordToComplete) + "*");
            var deleted = fakeBoundParameters.Contains("InRemovedState")
                || string.Equals(commandName, "Undo-VaultSecretRemoval", StringComparison.OrdinalIgnoreCase);
            return Completions.From(service.CompleteSecretNames(pattern, deleted, limit: 500), wordToComplete);
        }
        catch (Exception)
        {
            return [];
        }
    }
}
