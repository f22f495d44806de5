namespace Vault.Core;

/// <summary>The body of an operation: it acts on what the runner opened and authorized, and returns the result.</summary>
/// <typeparam name="TState">What the body needs from its caller; a span may be passed (a value to set).</typeparam>
internal delegate T OperationBody<TState, T>(Operation operation, TState state)
    where TState : allows ref struct;

/// <summary>
/// The one path every data-plane operation takes, whatever the kind of object:
/// <list type="number">
/// <item>open the barrier (the record's key; a failure here is recorded unchained);</item>
/// <item>validate the object's name and version by its kind's rules;</item>
/// <item>authorize the action at the object's scope (or the vault's);</item>
/// <item>act (the body, in a write transaction it begins when it first needs one);</item>
/// <item>audit and commit: the success record in that transaction, both committed together.</item>
/// </list>
/// A failure or a denial at any step rolls the operation back and is recorded in a transaction of
/// its own. A record that cannot be written fails the operation (AuditWriteFailed): nothing is
/// changed and nothing is returned. Cancellation is checked before the body and before the commit.
/// </summary>
internal static class OperationRunner
{
    public static T Run<TState, T>(VaultService service, Operation operation, TState state, OperationBody<TState, T> body)
        where TState : allows ref struct
    {
        try
        {
            return RunNamed(service, operation, state, body);
        }
        catch (VaultException ex) when (ex.ForVault is not null)
        {
            // A storage error (read-only, full, damaged) knows only the location: name the vault, so its next step is a command to type.
            throw VaultException.Named(ex, service.VaultName);
        }
    }

    private static T RunNamed<TState, T>(VaultService service, Operation operation, TState state, OperationBody<TState, T> body)
        where TState : allows ref struct
    {
        if (operation.NeedsBarrier)
        {
            operation.OpenBarrier();
        }
        else
        {
            operation.TryOpenBarrier();
        }

        try
        {
            if (operation.Kind is { } kind && operation.ObjectName is { } name)
            {
                kind.ValidateName(name);
                if (operation.Version is { } version)
                {
                    kind.ValidateVersion(version);
                }
            }

            switch (operation.Access)
            {
                case OperationAccess.Scoped:
                    service.Authorize(operation.Action!, operation.Scope, verifiedRoles: !operation.Inspects);
                    break;
                case OperationAccess.Anywhere:
                    service.AuthorizeVaultWide(operation.Action!);
                    break;
            }

            operation.Request.Cancellation.ThrowIfCancellationRequested();
            var result = body(operation, state);
            operation.Finish();
            return result;
        }
        catch (Exception ex)
        {
            operation.Fail(ex);
            throw;
        }
        finally
        {
            operation.EndTransaction();
        }
    }

    /// <summary>For a body that needs nothing from its caller.</summary>
    public static T Run<T>(VaultService service, Operation operation, Func<Operation, T> body) =>
        Run(service, operation, body, static (op, act) => act(op));

    /// <summary>For a body that returns nothing.</summary>
    public static void Run(VaultService service, Operation operation, Action<Operation> body) =>
        Run(service, operation, body, static (op, act) =>
        {
            act(op);
            return true;
        });
}
