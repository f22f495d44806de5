using System.Diagnostics;
using System.Text.Json;
using Vault.Core.Audit;
using Vault.Core.Crypto;
using Vault.Core.Integrity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>How an operation is authorized before it acts.</summary>
internal enum OperationAccess
{
    /// <summary>The action at the object's scope (<c>/secrets/&lt;name&gt;</c>), or at <c>/</c> for an operation on the vault.</summary>
    Scoped,

    /// <summary>The action at any scope: for what everyone with a role somewhere in the vault may do (see it, unlock it).</summary>
    Anywhere,

    /// <summary>The operation decides in its body: a listing filters, a restore learns its name from the blob.</summary>
    InBody,
}

/// <summary>
/// One data-plane operation: what the runner needs to run it (its name, the object it is on, the
/// action it needs) and its audit record in the making (who, what, how it ended, how long, from
/// where). <see cref="OperationRunner"/> runs it; the body only acts, naming what it found
/// (<see cref="ObjectName"/>, <see cref="Version"/>, <see cref="Description"/>) and using
/// <see cref="Transaction"/>, which begins the write transaction the record commits with.
/// </summary>
internal sealed class Operation
{
    private readonly CachedVault vault;
    private readonly Opener opener;
    private readonly string vaultName;
    private readonly CallerContext caller;
    private readonly RequestContext request;
    private readonly long time;
    private readonly long started = Stopwatch.GetTimestamp();
    private SortedDictionary<string, string>? properties;
    private CryptoBarrier? barrier;
    private IVaultTransaction? transaction;
    private VaultState? state;

    public Operation(CachedVault vault, Opener opener, CallerContext caller, RequestContext request, long time, string name)
    {
        this.vault = vault;
        this.opener = opener;
        vaultName = opener.VaultName;
        this.caller = caller;
        this.request = request;
        this.time = time;
        Name = name;
    }

    /// <summary>The audit OperationName.</summary>
    public string Name { get; }

    /// <summary>The kind of object the operation is on; null for an operation on the vault.</summary>
    public ObjectKind? Kind { get; private set; }

    /// <summary>The object's name: as given, then as stored once the body found it.</summary>
    public string? ObjectName { get; set; }

    public string? Version { get; set; }

    public string? Description { get; set; }

    /// <summary>The action the caller needs (null: the body authorizes, or nothing is needed).</summary>
    public string? Action { get; private set; }

    public OperationAccess Access { get; private set; } = OperationAccess.InBody;

    /// <summary>False when the barrier may be locked: the operation opens it (Unlock) or brings its own (an import).</summary>
    public bool NeedsBarrier { get; private set; } = true;

    /// <summary>False for a lookup that is part of a later operation: only its failure is recorded.</summary>
    public bool RecordsSuccess { get; private set; } = true;

    /// <summary>
    /// True for Test-Vault: it runs on a vault whose metadata fails (that is what it reports), so the
    /// vault's MACs are not required to open it and its caller is authorized on the roles as stored.
    /// </summary>
    public bool Inspects { get; private set; }

    /// <summary>Set once the record is in storage.</summary>
    public bool Recorded { get; private set; }

    /// <summary>The id of the written record: a read of the log shows what came before it.</summary>
    public long RecordId { get; private set; }

    /// <summary>Whoever the operation is for; the request it came with.</summary>
    public CallerContext Caller => caller;

    public RequestContext Request => request;

    /// <summary>The barrier, for the body's own use of keys (a value sealed or opened, a value's HMAC).</summary>
    public CryptoBarrier Barrier => barrier ?? throw new InvalidOperationException("The operation has no barrier open.");

    /// <summary>The operation's write transaction, begun on first use: the record commits in it.</summary>
    public IVaultTransaction Transaction
    {
        get
        {
            if (transaction is null)
            {
                request.Cancellation.ThrowIfCancellationRequested();
                try
                {
                    transaction = vault.Store.BeginWrite();
                }
                catch (VaultException ex) when (ex.ErrorId == VaultErrors.StorageFailedId)
                {
                    throw AuditWriteFailed(ex);
                }
            }

            return transaction;
        }
    }

    // ---- what the operation is (set before it runs) ------------------------------------------

    /// <summary>On one object (and, when given, one version of it): validated by its kind's rules before anything else.</summary>
    public Operation On(ObjectKind kind, string name, string? version = null)
    {
        Kind = kind;
        ObjectName = name;
        Version = version;
        return this;
    }

    /// <summary>On an object of a kind whose name the body finds out (a restore reads it from the blob).</summary>
    public Operation Of(ObjectKind kind)
    {
        Kind = kind;
        return this;
    }

    /// <summary>Needs <paramref name="action"/> at the object's scope (or at <c>/</c>).</summary>
    public Operation Requires(string action)
    {
        Action = action;
        Access = OperationAccess.Scoped;
        return this;
    }

    /// <summary>Needs <paramref name="action"/> at any scope.</summary>
    public Operation RequiresAnywhere(string action)
    {
        Action = action;
        Access = OperationAccess.Anywhere;
        return this;
    }

    /// <summary>Runs with the barrier if this process holds it (its record is chained then) or without.</summary>
    public Operation WithoutBarrier()
    {
        NeedsBarrier = false;
        return this;
    }

    /// <summary>Inspects the vault's integrity (see <see cref="Inspects"/>).</summary>
    public Operation Inspecting()
    {
        Inspects = true;
        return this;
    }

    /// <summary>Records a failure only: the operation that follows records the success.</summary>
    public Operation RecordFailureOnly()
    {
        RecordsSuccess = false;
        return this;
    }

    public Operation Property(string name, string? value)
    {
        if (value is not null)
        {
            (properties ??= new(StringComparer.Ordinal))[name] = value;
        }

        return this;
    }

    /// <summary>The RBAC scope the operation is decided at.</summary>
    public string Scope => Kind is { } kind && ObjectName is { } name ? kind.Scope(name) : Authorization.RbacScope.Root;

    // ---- the runner's steps -------------------------------------------------------------------

    /// <summary>Opens the barrier for the audit key; a failure here is recorded unchained and rethrown.</summary>
    internal void OpenBarrier()
    {
        try
        {
            barrier = vault.Barrier(opener);
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }

        CheckIdentity();
        Authenticate();
    }

    /// <summary>The vault's MACs checked once per barrier, or given to a vault from before them; an inspection goes on to report what fails.</summary>
    private void Authenticate()
    {
        try
        {
            vault.EnsureAuthenticated(opener, barrier!, Upgrade);
        }
        catch (VaultException ex) when (Inspects && ex.ErrorId == "MetadataIntegrityFailed")
        {
        }
    }

    /// <summary>The upgrade of a vault from before step 6: its MACs, written with a record of their own.</summary>
    private void Upgrade()
    {
        var upgrade = new Operation(vault, opener, caller, request, time, AuditOperations.VaultUpgrade);
        upgrade.UseBarrier(barrier!);
        try
        {
            var tx = upgrade.Transaction;
            upgrade.state = VaultUpgrade.Authenticate(tx, barrier!, vaultName, out var description);
            upgrade.Description = description;
            upgrade.Commit();
        }
        catch (Exception ex)
        {
            upgrade.Fail(ex);
            throw;
        }
        finally
        {
            upgrade.EndTransaction();
        }
    }

    /// <summary>
    /// Another vault in the place of the one the opener registered is refused, and nothing is written
    /// to it: its log is not the opener's vault's log.
    /// </summary>
    private void CheckIdentity()
    {
        try
        {
            opener.CheckIdentity(barrier!, vault.Location);
        }
        catch
        {
            barrier = null;
            Recorded = true;
            throw;
        }
    }

    /// <summary>Opens the barrier if it can, recording nothing when it cannot.</summary>
    internal void TryOpenBarrier()
    {
        try
        {
            barrier = vault.Barrier(opener);
        }
        catch (VaultException)
        {
            return;
        }

        CheckIdentity();
        Authenticate();
    }

    /// <summary>Uses a barrier the operation brought (an imported keyring) for the record.</summary>
    public void UseBarrier(CryptoBarrier imported) => barrier = imported;

    /// <summary>
    /// Appends the success record inside the operation's transaction (begun now if the body never
    /// needed one) and commits both. A read calls it before the value leaves: a read that cannot be
    /// audited returns nothing. A record that cannot be written fails the operation: AuditWriteFailed.
    /// </summary>
    public void Commit()
    {
        if (Recorded)
        {
            return;
        }

        if (barrier is null && !NeedsBarrier)
        {
            // Unlock: the body may have just opened it.
            TryOpenBarrier();
        }

        request.Cancellation.ThrowIfCancellationRequested();
        var tx = Transaction;
        try
        {
            RecordId = AuditChain.Append(tx.Audit, Barrier, Row("Success", "OK", Description), WriteState).Id;
            tx.Commit();
        }
        catch (VaultException ex) when (ex.ErrorId == VaultErrors.StorageFailedId)
        {
            throw AuditWriteFailed(ex);
        }

        Recorded = true;
        EndTransaction();
    }

    /// <summary>
    /// A record of progress inside a transaction the body commits itself (a re-encryption's batch):
    /// so work a killed process had committed is on the record. The operation's own record still
    /// follows its last step.
    /// </summary>
    public void RecordProgress(IVaultTransaction tx, string description)
    {
        try
        {
            AuditChain.Append(tx.Audit, Barrier, Row("Success", "OK", description));
        }
        catch (VaultException ex) when (ex.ErrorId == VaultErrors.StorageFailedId)
        {
            throw AuditWriteFailed(ex);
        }
    }

    /// <summary>The runner's last step: the success record, unless the body committed it or the operation records failures only.</summary>
    internal void Finish()
    {
        if (RecordsSuccess)
        {
            Commit();
        }
    }

    /// <summary>
    /// Records a failure or denial in a transaction of its own (the operation's own is rolled back
    /// first). A record that cannot be written is given up: the operation has failed already and says why.
    /// </summary>
    internal void Fail(Exception ex)
    {
        EndTransaction();
        if (Recorded)
        {
            return;
        }

        var (resultType, signature) = Classify(ex);
        var description = ex is VaultException v ? $"{v.ErrorId}: {v.Message}" : $"{ex.GetType().Name}: {ex.Message}";
        try
        {
            using var tx = vault.Store.BeginWrite();
            if (barrier is { IsSealed: false } open)
            {
                AuditChain.Append(tx.Audit, open, Row(resultType, signature, description));
            }
            else
            {
                // Before the vault opened there is no audit key: an unchained entry, marked so.
                tx.Audit.Insert(Row(resultType, signature, description));
            }

            tx.Commit();
            Recorded = true;
        }
        catch (Exception recordFailure) when (recordFailure is VaultException or ObjectDisposedException or InvalidOperationException)
        {
            // The operation's own error is what the caller needs; the lost record is in its message when it was the cause.
        }
    }

    /// <summary>
    /// The vault's state in the operation's transaction, for a body that changes objects, roles,
    /// the keyring or the settings: checked when first asked for, written with the record.
    /// </summary>
    public VaultState State => state ??= new VaultState(Transaction, Barrier, vaultName);

    /// <summary>
    /// For the record: the state this operation leaves, written now if it changed, whose MAC the head
    /// binds. Null when it changed nothing: the head keeps binding the state it bound, never the row
    /// as it is now (which could be an older copy put back; only a checked change moves it on).
    /// </summary>
    private byte[]? WriteState(AuditRow record)
    {
        if (state is { Changed: true } changed)
        {
            return changed.Write(record.Seq == 1 ? record.Hmac : null);
        }

        return null;
    }


    /// <summary>Rolls back whatever the operation did not commit.</summary>
    internal void EndTransaction()
    {
        transaction?.Dispose();
        transaction = null;
        state = null;
    }

    /// <summary>The success record of a vault's creation, written in the creating transaction.</summary>
    internal static AuditRow Created(string vaultName, CallerContext caller, RequestContext request, long time, long startTimestamp, string description) =>
        NewRow(caller, request, time, startTimestamp, AuditOperations.VaultCreate, VaultObjectId.ForVault(vaultName), null, "Success", "OK", description);

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
            VaultErrorKind.ReadOnly or VaultErrorKind.StorageFull => "Unavailable",
            VaultErrorKind.Damaged => "IntegrityFailure",
            _ => "Failed",
        }),
        OperationCanceledException => ("Failed", "Canceled"),
        _ => ("Failed", "InternalError"),
    };

    private AuditRow Row(string resultType, string signature, string? description) =>
        NewRow(caller, request, time, started, Name, Target(), ObjectName, resultType, signature, description) with
        {
            Properties = properties is null ? null : JsonSerializer.Serialize(properties, AuditJson.Default.SortedDictionaryStringString),
        };

    /// <summary>A record's fields: who, what, how it ended, when, how long, from where.</summary>
    private static AuditRow NewRow(
        CallerContext caller, RequestContext request, long time, long startTimestamp, string operation, string target, string? objectName, string resultType, string signature, string? description) => new()
    {
        Time = time,
        Operation = operation,
        CallerId = caller.Principal.Id,
        CallerName = caller.Principal.Name,
        CallerType = caller.Principal.Type.ToString(),
        Target = target,
        ObjectName = objectName,
        ResultType = resultType,
        ResultSignature = signature,
        Description = description,
        DurationUs = RequestContext.Elapsed(startTimestamp),
        CorrelationId = request.CorrelationId,
        Client = request.ClientJson(),
    };

    /// <summary>The record's target: the object (and version) as the vault's own name identifies it, or the vault.</summary>
    private string Target() =>
        Kind is { } kind && ObjectName is { } name ? kind.Id(vault.Name, name, Version) : VaultObjectId.ForVault(vault.Name);

    /// <summary>A storage failure on the record's own path (begin, append, commit) is AuditWriteFailed: nothing is changed.</summary>
    private VaultException AuditWriteFailed(VaultException storageFailure) =>
        VaultErrors.AuditWriteFailed(vaultName, storageFailure.InnerException ?? storageFailure);
}
