using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Vault.Core;

namespace Vault.PowerShell.Completion;

/// <summary>Completes the operation names the audit log records (SecretGet, SecretSet, AuditLogRead...).</summary>
public sealed class OperationNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.From(AuditOperations.All, wordToComplete);
}
