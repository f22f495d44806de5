using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>
/// Completes -Version with the versions of the secret named by -Name, in the vault named by -VaultName
/// (or the default vault), newest first, each with when it was made. Reads metadata only: it never
/// unlocks a keyring or prompts, and it writes no audit record.
/// </summary>
public sealed class VersionCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            if (fakeBoundParameters["Name"] is not string name)
            {
                return [];
            }

            var service = VaultManager.ForCurrentUser().Open(fakeBoundParameters["VaultName"] as string);
            var prefix = Completions.Unquote(wordToComplete);
            var versions = service.CompleteVersions(name, limit: 500);
            return versions
                .Where(v => v.Version.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Select((v, i) => new CompletionResult(v.Version, v.Version, CompletionResultType.ParameterValue,
                    string.Create(CultureInfo.InvariantCulture, $"{v.Version}: created {v.Created:u}{(i == 0 && prefix.Length == 0 ? ", the latest" : string.Empty)}{(v.Enabled ? string.Empty : ", disabled")}")))
                .ToList();
        }
        catch (Exception)
        {
            // Completion must never throw into the user's prompt.
            return [];
        }
    }
}
