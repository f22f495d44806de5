namespace Vault.Core;

/// <summary>What kind of failure a <see cref="VaultException"/> is; the PowerShell layer maps it to an ErrorCategory.</summary>
public enum VaultErrorKind
{
    /// <summary>The named thing does not exist.</summary>
    NotFound,

    /// <summary>The named thing exists already.</summary>
    AlreadyExists,

    /// <summary>An argument breaks a rule (a name, a limit, an attribute).</summary>
    InvalidArgument,

    /// <summary>The thing exists but the operation is not allowed in its state.</summary>
    InvalidOperation,

    /// <summary>Stored or supplied data failed an integrity or format check.</summary>
    InvalidData,

    /// <summary>A resource the vault needs (its file, its key protector) cannot be used.</summary>
    Unavailable,

    /// <summary>A login to the key protector failed (a wrong or locked PIN).</summary>
    AuthenticationFailed,

    /// <summary>The caller's roles do not allow the action at that scope.</summary>
    PermissionDenied,

    /// <summary>A file or folder Vault must write is read-only to this account (or on a read-only file system).</summary>
    ReadOnly,

    /// <summary>The disk (or quota) holding a file Vault must write is full.</summary>
    StorageFull,

    /// <summary>A vault's file is damaged: its storage cannot read it.</summary>
    Damaged,
}

/// <summary>
/// The one exception type the core throws for a rule it enforces. <see cref="ErrorId"/> is stable
/// (a script may match on it); the message says what went wrong and what to do, and never holds a
/// secret value.
/// </summary>
public sealed class VaultException : Exception
{
    /// <summary>Creates an exception; use <see cref="VaultErrors"/> rather than calling this directly.</summary>
    public VaultException(string errorId, VaultErrorKind kind, string message, string? target, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>The stable error identifier, such as <c>SecretNotFound</c>.</summary>
    public string ErrorId { get; }

    /// <summary>The kind of failure.</summary>
    public VaultErrorKind Kind { get; }

    /// <summary>The item the error is about: a secret name, a vault name or a path.</summary>
    public string? Target { get; }

    /// <summary>
    /// For an error raised where only a vault's location is known (its storage): the same error
    /// naming the vault, so its next step can be a command to type. Whoever knows the name applies it.
    /// </summary>
    internal Func<string, VaultException>? ForVault { get; init; }

    /// <summary>This error, naming <paramref name="vault"/> where it can.</summary>
    internal static Exception Named(Exception ex, string vault) =>
        ex is VaultException { ForVault: { } named } ? named(vault) : ex;
}
