using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Vault.Core;

namespace Vault.PowerShell;

/// <summary>
/// What every Vault cmdlet shares: the current user's vaults, what the core is told of each request
/// (this pipeline's correlation id, the host), the one mapping from core errors to ErrorRecords, and
/// ShouldProcess that honours -Force. Core types stay off public members, so PowerShell never sees a
/// type from the module's private load context.
/// </summary>
public abstract class VaultCmdlet : PSCmdlet
{
    /// <summary>The current user's vaults, by name (the registry); every vault is then opened through the core's entry point.</summary>
    private protected static VaultManager Manager => VaultManager.ForCurrentUser();

    /// <summary>
    /// What the core records of this call besides the caller: the host's name, and a correlation id
    /// that every command of one pipeline shares (one command line at the console, one script
    /// invocation, one runbook job), because the core works it out from the runspace and the
    /// pipeline's history id.
    /// </summary>
    private protected RequestContext Request => new()
    {
        CorrelationId = RequestContext.PipelineCorrelationId(Runspace.DefaultRunspace?.InstanceId ?? Host.InstanceId, MyInvocation.HistoryId),
        Host = Host.Name,
    };

    /// <summary>
    /// Before the process's first Vault cmdlet does anything: a warning when the copy of the module
    /// loaded is a stale one (see <see cref="Loading.ModuleCopies"/>). A cmdlet that overrides this
    /// calls it first.
    /// </summary>
    protected override void BeginProcessing()
    {
        if (Loading.ModuleCopies.FirstLook() && MyInvocation.MyCommand.Module is { } module
            && Loading.ModuleCopies.StaleWarning(module.ModuleBase, module.Version, Environment.GetEnvironmentVariable("PSModulePath")) is { } warning)
        {
            WriteWarning(warning);
        }
    }

    /// <summary>Opens a vault's data plane for this request; null or empty means the default vault.</summary>
    private protected VaultService OpenVault(string? vaultName)
    {
        var vault = Manager.Open(vaultName, Request);
        WriteVerbose($"Vault '{vault.VaultName}' at '{vault.Path}'.");
        return vault;
    }

    /// <summary>
    /// Runs one unit of work, reporting a core error as an ErrorRecord: a bad argument or an
    /// unavailable vault stops the command; anything about one item is written and the pipeline goes on.
    /// </summary>
    private protected void Try(Action action)
    {
        try
        {
            action();
        }
        catch (VaultException ex)
        {
            Report(ex);
        }
    }

    private protected void Report(VaultException ex)
    {
        var record = ToErrorRecord(ex);
        // A read-only, full or damaged vault fails every call alike, as an unavailable one does.
        if (ex.Kind is VaultErrorKind.InvalidArgument or VaultErrorKind.Unavailable or VaultErrorKind.AuthenticationFailed
            || (ex.Kind is VaultErrorKind.ReadOnly or VaultErrorKind.StorageFull or VaultErrorKind.Damaged && !IsOutputError(ex)))
        {
            ThrowTerminatingError(record);
        }

        WriteError(record);
    }

    internal static ErrorRecord ToErrorRecord(VaultException ex) =>
        new(ex, ex.ErrorId, Category(ex.Kind), ex.Target);

    private static ErrorCategory Category(VaultErrorKind kind) => kind switch
    {
        VaultErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        VaultErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        VaultErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        VaultErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        VaultErrorKind.InvalidData => ErrorCategory.InvalidData,
        VaultErrorKind.Unavailable => ErrorCategory.ResourceUnavailable,
        VaultErrorKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
        VaultErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        VaultErrorKind.ReadOnly => ErrorCategory.PermissionDenied,
        VaultErrorKind.StorageFull => ErrorCategory.WriteError,
        VaultErrorKind.Damaged => ErrorCategory.InvalidData,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>An error about the file a command writes (its folder read-only or full): about that item, so written, not terminating.</summary>
    private static bool IsOutputError(VaultException ex) => ex.ErrorId.StartsWith("Output", StringComparison.Ordinal);

    /// <summary>
    /// Before ShouldProcess, for a command that writes <paramref name="path"/>: a folder that does not
    /// exist is OutputFolderNotFound, with -WhatIf as without (and no "What if:" line). Returns false
    /// after writing the error.
    /// </summary>
    private protected bool OutputFolderExists(string path, string parameter = "-OutputFile")
    {
        try
        {
            OwnerOnlyFile.RequireFolder(path, parameter);
            return true;
        }
        catch (VaultException ex)
        {
            Report(ex);
            return false;
        }
    }

    /// <summary>
    /// ShouldProcess for a command with -Force: -Force skips the confirmation prompt, but -WhatIf
    /// still only reports and an explicit -Confirm still asks.
    /// </summary>
    private protected bool ShouldProcess(string target, string action, bool force)
    {
        if (force && !WhatIfRequested && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
        {
            return true;
        }

        try
        {
            return ShouldProcess(target, action);
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or System.Management.Automation.Host.HostException)
        {
            // A session that cannot ask (pwsh -NonInteractive, a runbook) would otherwise stop with the
            // host's words, which name no way forward: name the switch that goes ahead without asking.
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException(
                    $"{MyInvocation.MyCommand.Name} asks for confirmation before it acts on '{target}' ({action}), and this session cannot ask: {ex.Message} "
                    + (force
                        ? "Leave out -Confirm: with -Force the command goes ahead without asking."
                        : "Add -Force to go ahead without asking (-WhatIf still only reports, and an explicit -Confirm still asks)."), ex),
                "ConfirmationNotPossible", ErrorCategory.InvalidOperation, target));
            throw;
        }
    }

    private bool WhatIfRequested =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf)
            ? ((SwitchParameter)whatIf).IsPresent
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>Stops the command for parameters that cannot be used together or a value PowerShell cannot check.</summary>
    private protected void ThrowArgumentError(string errorId, string message, object? target) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    /// <summary>Whether a command may write <paramref name="path"/>; when not (it exists, no -Force), says so as an OutputFileExists error.</summary>
    private protected bool CanWriteOutput(string path, bool force, string parameter = "-OutputFile")
    {
        if (force || !File.Exists(path))
        {
            return true;
        }

        WriteError(new ErrorRecord(
            new IOException($"The file '{path}' exists. Choose another {parameter}, or add -Force to overwrite it."),
            "OutputFileExists", ErrorCategory.ResourceExists, path));
        return false;
    }

    /// <summary>
    /// Writes a file (owner-only, whole or not at all: see the core's OwnerOnlyFile), then writes
    /// the file, as the provider sees it, to the pipeline.
    /// </summary>
    private protected void WriteFile(string path, byte[] contents) => WriteFile(path, stream => stream.Write(contents));

    /// <summary>As <see cref="WriteFile(string, byte[])"/>, for contents written a piece at a time by <paramref name="write"/>.</summary>
    private protected void WriteFile(string path, Action<Stream> write)
    {
        OwnerOnlyFile.WriteAtomically(path, write);
        WriteObject(SessionState.InvokeProvider.Item.Get([path], force: true, literalPath: true), enumerateCollection: true);
    }

    /// <summary>Resolves a path as PowerShell users expect: relative to the current location, ~ expanded.</summary>
    private protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);
}
