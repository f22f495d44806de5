using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Integrity;

/// <summary>
/// The vault's state inside one write transaction: read and checked before the first change (its MAC,
/// and that it is the state the audit head was written with, so an older settings row put back is
/// refused), updated as objects, roles, the keyring or the settings change, and written with its new
/// MAC when the operation's record is appended (the head then binds the new state).
/// </summary>
internal sealed class VaultState
{
    private readonly IVaultTransaction tx;
    private readonly CryptoBarrier barrier;
    private readonly string vaultName;

    public VaultState(IVaultTransaction tx, CryptoBarrier barrier, string vaultName)
    {
        this.tx = tx;
        this.barrier = barrier;
        this.vaultName = vaultName;
        Row = tx.Settings.Read();
        Check(barrier, vaultName, Row);

        // The head is the last word on the state only while the chain is whole and is the vault's own
        // (it verifies, no record is past it, and its first record is the one the state names): then
        // an older, validly MAC'd copy of the settings put back is refused.
        var head = tx.Audit.ReadHead();
        Bound = IsBound(tx.Audit, barrier, head, Row);
        if (Bound && !(head!.StateMac ?? []).AsSpan().SequenceEqual(Row.Mac))
        {
            throw VaultErrors.MetadataIntegrityFailed(vaultName, "settings", "the vault's state is not the one its audit log last recorded (an older copy of the settings was put back).");
        }
    }

    private VaultState(IVaultTransaction tx, CryptoBarrier barrier, string vaultName, VaultRow upgraded)
    {
        this.tx = tx;
        this.barrier = barrier;
        this.vaultName = vaultName;
        Row = upgraded;
        Bound = true;
        Changed = true;
    }

    /// <summary>
    /// Whether <paramref name="head"/> vouches for the vault's state: it verifies, binds a state, no
    /// record is past it, and the chain it ends starts with the record <paramref name="row"/> names
    /// (a log wiped and begun again, or another vault's, does not). A vault whose log is not its own
    /// stays unbound until it is restored: what cannot be undone is refused there.
    /// </summary>
    public static bool IsBound(IAuditStore log, CryptoBarrier barrier, AuditHeadRow? head, VaultRow row) =>
        head is { StateMac: not null } && row.FirstRecordHmac is { } first
        && head.Seq == log.MaxSeq() && Audit.AuditChain.HeadMatches(barrier, head)
        && (log.HmacAt(1) ?? []).AsSpan().SequenceEqual(first);

    /// <summary>The state an upgrade made (<see cref="VaultUpgrade"/>): nothing to check against, written with the upgrade's record.</summary>
    public static VaultState Upgrading(IVaultTransaction tx, CryptoBarrier barrier, string vaultName, VaultRow upgraded) => new(tx, barrier, vaultName, upgraded);

    /// <summary>Whether the audit head vouches for this state (the chain is whole and its head records this state).</summary>
    public bool Bound { get; }

    /// <summary>
    /// For what cannot be undone (a purge, a deletion's purge date, the vault's removal, its settings):
    /// refused while the audit head cannot vouch for the state, since a settings row put back with
    /// the head removed could say purge protection is off, or the retention is a day.
    /// </summary>
    public void RequireBound()
    {
        if (!Bound)
        {
            throw VaultErrors.MetadataIntegrityFailed(vaultName, "settings", "the audit log's head is damaged or gone, so the vault's settings (purge protection, retention) cannot be vouched for; this is refused until the vault is restored from a copy you trust (Test-VaultAuditLog names the damage).");
        }
    }

    /// <summary>The state as it will be written.</summary>
    public VaultRow Row { get; private set; }

    /// <summary>Whether anything changed.</summary>
    public bool Changed { get; private set; }

    /// <summary>A vault's settings, refused unless their MAC holds.</summary>
    public static VaultRow Check(CryptoBarrier barrier, string vaultName, VaultRow row)
    {
        if (row.Mac is null || !row.Mac.AsSpan().SequenceEqual(MetadataFormat.State(barrier, row)))
        {
            throw VaultErrors.MetadataIntegrityFailed(vaultName, "settings", "the vault's settings (retention, purge protection, key protector, the counts and digests of its objects, roles and keyring) do not match their MAC.");
        }

        return row;
    }

    public void Settings(Func<VaultRow, VaultRow> change)
    {
        Row = change(Row);
        Changed = true;
    }

    /// <summary>An object was added (<paramref name="before"/> null), changed, or (<paramref name="after"/> null) removed.</summary>
    public void Object(ObjectRow? before, ObjectRow? after)
    {
        var digest = Row.ObjectsDigest ?? Digest.Empty;
        var count = Row.ObjectsCount;
        if (before is not null)
        {
            digest = Digest.Subtract(digest, before.Mac!);
            count--;
        }

        if (after is not null)
        {
            digest = Digest.Add(digest, after.Mac!);
            count++;
        }

        Row = Row with { ObjectsDigest = digest, ObjectsCount = count };
        Changed = true;
    }

    /// <summary>Roles or assignments changed: their digest is worked out again from every row (roles are few).</summary>
    public void Roles()
    {
        Row = Row with { RolesDigest = MetadataFormat.RolesDigest(barrier, tx.Roles.ReadDefinitions(), tx.Roles.ReadAssignments()) };
        Changed = true;
    }

    /// <summary>A keyring row was added or re-wrapped.</summary>
    public void Keyring()
    {
        Row = Row with { KeyringDigest = MetadataFormat.KeyringDigest(barrier, tx.Keyring.Read()) };
        Changed = true;
    }

    /// <summary>Writes the state with its new MAC (and the first record's HMAC, for the record that is the log's first); returns the MAC for the head.</summary>
    public byte[] Write(byte[]? firstRecordHmac)
    {
        if (firstRecordHmac is not null && Row.FirstRecordHmac is null)
        {
            Row = Row with { FirstRecordHmac = firstRecordHmac };
        }

        Row = Row with { Mac = MetadataFormat.State(barrier, Row) };
        tx.Settings.Write(Row);
        return Row.Mac!;
    }
}
