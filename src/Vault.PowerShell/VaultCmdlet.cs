using System.Buffers.Binary;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography;
using Vault.Core;
using Vault.Core.Audit;

namespace Vault.PowerShell;

/// <summary>
/// What every Vault cmdlet shares: the current user's vaults, the one mapping from core errors to
/// ErrorRecords, ShouldProcess that honours -Force, and who is calling for the audit log. Core types
/// stay off public members, so PowerShell never sees a type from the module's private load context.
/// </summary>
public abstract class VaultCmdlet : PSCmdlet
{
    private static readonly byte[] CorrelationLabel = "Vault correlation v1"u8.ToArray();

    /// <summary>
    /// The current user's vaults. Every core call goes through here or <see cref="OpenVault"/>, so the
    /// audit context (this pipeline's correlation id, the host) is set before the core records anything.
    /// </summary>
    private protected VaultManager Manager
    {
        get
        {
            SetAuditContext();
            return VaultManager.ForCurrentUser();
        }
    }

    /// <summary>Opens a vault's data plane; null or empty means the default vault.</summary>
    private protected VaultService OpenVault(string? vaultName)
    {
        var vault = Manager.Open(vaultName);
        WriteVerbose($"Vault '{vault.VaultName}' at '{vault.Path}'.");
        return vault;
    }

    /// <summary>
    /// Tells the core who is calling beyond the principal: the host's name, and a correlation id that
    /// every command of one pipeline shares (one command line at the console, one script invocation,
    /// one runbook job), because it is worked out from the runspace and the pipeline's history id.
    /// </summary>
    private void SetAuditContext()
    {
        AuditContext.CorrelationId = PipelineCorrelationId(Runspace.DefaultRunspace?.InstanceId ?? Host.InstanceId, MyInvocation.HistoryId);
        AuditContext.Host = Host.Name;
    }

    /// <summary>A GUID (RFC 9562 version 8) from the first 16 bytes of SHA-256 over a label, the runspace id and the history id.</summary>
    internal static string PipelineCorrelationId(Guid runspace, long historyId)
    {
        Span<byte> input = stackalloc byte[CorrelationLabel.Length + 16 + 8];
        CorrelationLabel.CopyTo(input);
        runspace.TryWriteBytes(input[CorrelationLabel.Length..]);
        BinaryPrimitives.WriteInt64BigEndian(input[(CorrelationLabel.Length + 16)..], historyId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString("D", CultureInfo.InvariantCulture);
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
        if (ex.Kind is VaultErrorKind.InvalidArgument or VaultErrorKind.Unavailable or VaultErrorKind.AuthenticationFailed)
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
        _ => ErrorCategory.NotSpecified,
    };

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

        return ShouldProcess(target, action);
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
    /// Writes a file beside its target and renames it into place, so a failure never leaves half a
    /// file under the name, then writes the file (as the provider sees it) to the pipeline.
    /// </summary>
    private protected void WriteFile(string path, byte[] contents) => WriteFile(path, stream => stream.Write(contents));

    /// <summary>
    /// As <see cref="WriteFile(string, byte[])"/>, for contents written a piece at a time by
    /// <paramref name="write"/>: if it throws (or the pipeline is stopped), the partial file is deleted.
    /// </summary>
    private protected void WriteFile(string path, Action<Stream> write)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            // Owner-only, as key files are: a backup, keyring export or audit export is for its owner to move on.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 64 * 1024 };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        WriteObject(SessionState.InvokeProvider.Item.Get([path], force: true, literalPath: true), enumerateCollection: true);
    }

    /// <summary>Resolves a path as PowerShell users expect: relative to the current location, ~ expanded.</summary>
    private protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);
}
