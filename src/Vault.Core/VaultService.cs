using System.Security.Cryptography;
using Vault.Core.Authorization;

namespace Vault.Core;

/// <summary>
/// One vault, for one caller and one request: what <see cref="VaultEngine.Open"/> returns, and the
/// only way to its data. One method per operation, each run by the <see cref="OperationRunner"/>
/// (validate, authorize, act, audit, commit), so every host (the cmdlets, a server) meets every
/// rule. The operations are grouped by what they are on: <c>Secrets/</c>, <c>Authorization/</c>
/// (roles and assignments), <c>Audit/</c> (the log), <c>Keyring/</c>, <c>Vaults/</c> (the vault's
/// own settings, unlocking, removal).
/// </summary>
/// <remarks>Cheap to make (the vault's storage and keyring are cached per process): make one per request.</remarks>
public sealed partial class VaultService
{
    private readonly CachedVault vault;
    private readonly TimeProvider time;

    private Opener opener;

    internal VaultService(string vaultName, CachedVault vault, TimeProvider time, CallerContext caller, RequestContext? request = null, VaultTrust? trust = null)
    {
        VaultName = vaultName;
        this.vault = vault;
        this.time = time;
        Caller = caller;
        Request = request ?? RequestContext.None;
        Trust = trust ?? VaultTrust.None;
        opener = new Opener(vaultName, Trust);
    }

    /// <summary>What the opener trusts: the vault's pinned identity and the PKCS#11 libraries it may load.</summary>
    public VaultTrust Trust { get; private set; }

    /// <summary>A library the caller named for this vault (a move to a token) is trusted from now on, here and in the opener's registration.</summary>
    private void TrustLibrary(string library)
    {
        var full = System.IO.Path.GetFullPath(library);
        Trust = Trust with { Pkcs11Libraries = [.. Trust.Pkcs11Libraries, full] };
        opener = new Opener(VaultName, Trust);
        Trust.OnTrustedLibrary?.Invoke(full);
    }

    /// <summary>Who is calling: every operation is decided for this principal and its groups.</summary>
    public CallerContext Caller { get; }

    /// <summary>What the host knows of the request: it goes into every audit record.</summary>
    public RequestContext Request { get; }

    /// <summary>The name this caller knows the vault by (errors and output use it).</summary>
    public string VaultName { get; }

    public VaultLocation Location => vault.Location;

    /// <summary>The vault's file (its location's address).</summary>
    public string Path => vault.Location.Address;

    /// <summary>The vault as this process holds it: storage, barrier, roles.</summary>
    internal CachedVault Cached => vault;

    /// <summary>The vault's barrier as this opener opens it (tests and the bench look at it).</summary>
    internal Crypto.CryptoBarrier Barrier() => vault.Barrier(opener);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The same vault and caller, for another request.</summary>
    public VaultService For(RequestContext request) => new(VaultName, vault, time, Caller, request, Trust);

    /// <summary>An operation's record in the making: the runner runs it.</summary>
    internal Operation Operation(string name) => new(vault, opener, Caller, Request, Now, name);

    internal T Run<TState, T>(Operation operation, TState state, OperationBody<TState, T> body)
        where TState : allows ref struct => OperationRunner.Run(this, operation, state, body);

    internal T Run<T>(Operation operation, Func<Operation, T> body) => OperationRunner.Run(this, operation, body);

    internal void Run(Operation operation, Action<Operation> body) => OperationRunner.Run(this, operation, body);

    /// <summary>Refuses the call unless the caller's roles allow the action at the scope. Decided before any data is read.</summary>
    internal void Authorize(string action, string scope, bool verifiedRoles = true)
    {
        var decision = vault.Roles(VaultName, verifiedRoles).Decider.Decide(Caller, action, scope);
        if (!decision.Allowed)
        {
            throw VaultErrors.AccessDenied(decision, VaultName);
        }
    }

    /// <summary>
    /// For the vault as a whole (Get-Vault, Unlock-Vault): allowed to whoever holds the action at
    /// some scope, so a role on some secrets is enough to see the vault and unlock it for them.
    /// </summary>
    internal void AuthorizeVaultWide(string action)
    {
        var decider = vault.Roles(VaultName).Decider;
        if (!decider.GrantsAnywhere(Caller, action))
        {
            throw VaultErrors.AccessDenied(decider.Decide(Caller, action, RbacScope.Root), VaultName);
        }
    }

    /// <summary>Which objects of a kind a listing shows: all, with <paramref name="action"/> on the vault; otherwise those it covers one by one.</summary>
    internal Func<string, bool> Visibility(ObjectKind kind, string action)
    {
        var decider = vault.Roles(VaultName).Decider;
        if (decider.Decide(Caller, action, RbacScope.Root).Allowed)
        {
            return _ => true;
        }

        return name => decider.Decide(Caller, action, kind.Scope(name)).Allowed;
    }

    private static void Zero(byte[]? bytes)
    {
        if (bytes is not null)
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
