using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vault.Core.Crypto;
using Vault.Core.Identity;
using Vault.Core.Storage;

namespace Vault.Core.Audit;

/// <summary>
/// One operation's audit record in the making. The operation opens the keyring (<see cref="Open"/>),
/// then either commits its change together with the record (<see cref="Commit"/>) or, if it changes
/// nothing, writes the record on its own (<see cref="Finish"/>). A failure is recorded by
/// <see cref="Fail"/>; one before the keyring opened is an unchained entry. A record that cannot be
/// written fails the operation: AuditWriteFailed, with nothing changed.
/// </summary>
internal sealed class AuditCall
{
    private readonly VaultSession session;
    private readonly string vaultName;
    private readonly CallerContext caller;
    private readonly long time;
    private readonly long started = Stopwatch.GetTimestamp();
    private SortedDictionary<string, string>? properties;
    private Keyring? keyring;

    public AuditCall(VaultSession session, string vaultName, CallerContext caller, long time, string operation, string? secretName)
    {
        this.session = session;
        this.vaultName = vaultName;
        this.caller = caller;
        this.time = time;
        Operation = operation;
        SecretName = secretName;
    }

    public string Operation { get; }

    public string? SecretName { get; set; }

    public string? Version { get; set; }

    public string? Description { get; set; }

    /// <summary>Set once the record is in the file.</summary>
    public bool Recorded { get; private set; }

    /// <summary>The id of the written record: a read of the log shows what came before it.</summary>
    public long RecordId { get; private set; }

    /// <summary>The keyring, for its audit keys (the record's HMAC, a value's HMAC).</summary>
    public Keyring Keyring => keyring ?? throw new InvalidOperationException("The audit call is not open.");

    public AuditCall Property(string name, string? value)
    {
        if (value is not null)
        {
            (properties ??= new(StringComparer.Ordinal))[name] = value;
        }

        return this;
    }

    /// <summary>Opens the keyring for the audit key; a failure here is recorded unchained and rethrown.</summary>
    public AuditCall Open()
    {
        try
        {
            keyring = session.GetKeyring(vaultName);
            return this;
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    /// <summary>Opens the keyring if it can, recording nothing when it cannot (an import brings its own).</summary>
    public AuditCall TryOpen()
    {
        try
        {
            keyring = session.GetKeyring(vaultName);
        }
        catch (VaultException)
        {
        }

        return this;
    }

    /// <summary>Uses a keyring the operation brought (an imported one) for the record.</summary>
    public void Use(Keyring imported) => keyring = imported;

    /// <summary>Appends the success record inside <paramref name="db"/>'s write transaction, then commits both.</summary>
    public void Commit(VaultDb db)
    {
        Append(db, "Success", "OK", Description);
        try
        {
            db.Commit();
        }
        catch (SqliteException ex)
        {
            throw VaultErrors.AuditWriteFailed(vaultName, ex);
        }

        Recorded = true;
    }

    /// <summary>For an operation that changed nothing: the success record in a transaction of its own.</summary>
    public void Finish()
    {
        if (Recorded)
        {
            return;
        }

        using var db = Begin();
        Commit(db);
    }

    /// <summary>A write transaction for the operation and its record.</summary>
    public VaultDb Begin()
    {
        try
        {
            return session.Store.BeginWrite();
        }
        catch (SqliteException ex)
        {
            throw VaultErrors.AuditWriteFailed(vaultName, ex);
        }
    }

    /// <summary>
    /// Records a failure or denial in a transaction of its own (the operation's own was rolled back).
    /// A record that cannot be written is given up: the operation has failed already and says why.
    /// </summary>
    public void Fail(Exception ex)
    {
        if (Recorded)
        {
            return;
        }

        var (resultType, signature) = Classify(ex);
        var description = ex is VaultException v ? $"{v.ErrorId}: {v.Message}" : $"{ex.GetType().Name}: {ex.Message}";
        try
        {
            using var db = session.Store.BeginWrite();
            if (keyring is { IsDisposed: false })
            {
                Append(db, resultType, signature, description);
            }
            else
            {
                // Before the vault opened there is no audit key: an unchained entry, marked so.
                db.InsertAuditRecord(Row(resultType, signature, description));
            }

            db.Commit();
            Recorded = true;
        }
        catch (Exception recordFailure) when (recordFailure is SqliteException or VaultException or ObjectDisposedException or InvalidOperationException)
        {
            // The operation's own error is what the caller needs; the lost record is in its message when it was the cause.
        }
    }

    private void Append(VaultDb db, string resultType, string signature, string? description)
    {
        try
        {
            RecordId = AuditChain.Append(db, Keyring.AuditKey, Row(resultType, signature, description)).Id;
        }
        catch (SqliteException ex)
        {
            throw VaultErrors.AuditWriteFailed(vaultName, ex);
        }
    }

    private AuditRow Row(string resultType, string signature, string? description) =>
        NewRow(caller, time, started, Operation, Target(), SecretName, resultType, signature, description) with
        {
            Properties = properties is null ? null : JsonSerializer.Serialize(properties, AuditJson.Default.SortedDictionaryStringString),
        };

    /// <summary>The success record of a vault's creation, written in the creating transaction.</summary>
    internal static AuditRow Created(string vaultName, CallerContext caller, long time, long startTimestamp, string description) =>
        NewRow(caller, time, startTimestamp, AuditOperations.VaultCreate, "vault://" + vaultName, null, "Success", "OK", description);

    /// <summary>A record's fields from the call: who, what, how it ended, when, how long, from where.</summary>
    private static AuditRow NewRow(
        CallerContext caller, long time, long startTimestamp, string operation, string target, string? secretName, string resultType, string signature, string? description) => new()
    {
        Time = time,
        Operation = operation,
        CallerId = caller.Principal.Id,
        CallerName = caller.Principal.Name,
        CallerType = caller.Principal.Type.ToString(),
        Target = target,
        SecretName = secretName,
        ResultType = resultType,
        ResultSignature = signature,
        Description = description,
        DurationUs = AuditContext.Elapsed(startTimestamp),
        CorrelationId = AuditContext.CorrelationId,
        Client = AuditContext.ClientJson(),
    };

    private string Target()
    {
        var target = "vault://" + session.Name;
        if (SecretName is not null)
        {
            target += "/secrets/" + SecretName;
            if (Version is not null)
            {
                target += "/" + Version;
            }
        }

        return target;
    }

    /// <summary>ResultType and ResultSignature for an error, as Azure names them.</summary>
    internal static (string ResultType, string Signature) Classify(Exception ex) => ex switch
    {
        VaultException { Kind: VaultErrorKind.PermissionDenied } => ("Denied", "Forbidden"),
        VaultException v => ("Failed", v.Kind switch
        {
            VaultErrorKind.NotFound => "NotFound",
            VaultErrorKind.AlreadyExists => "Conflict",
            VaultErrorKind.InvalidArgument => "InvalidInput",
            VaultErrorKind.InvalidOperation => "InvalidOperation",
            VaultErrorKind.InvalidData => "IntegrityFailure",
            VaultErrorKind.Unavailable => "Unavailable",
            VaultErrorKind.AuthenticationFailed => "Unauthenticated",
            _ => "Failed",
        }),
        OperationCanceledException => ("Failed", "Canceled"),
        _ => ("Failed", "InternalError"),
    };
}
