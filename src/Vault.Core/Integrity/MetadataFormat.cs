using System.Text;
using Vault.Core.Audit;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Integrity;

/// <summary>
/// The canonical bytes of every stored row that decides behaviour, and their MACs under the
/// keyring's metadata key (docs/ARCHITECTURE.md gives them). Each starts with a label of its own
/// and the vault id, so a MAC of one kind of row, or of another vault's, never passes for another.
/// Integers are big-endian int64; text (UTF-8) and bytes are a big-endian int32 length (-1 for
/// null) and the bytes, as in the audit record's form.
/// </summary>
internal static class MetadataFormat
{
    private static readonly byte[] VersionLabel = Encoding.ASCII.GetBytes("Vault version v1");
    private static readonly byte[] ObjectLabel = Encoding.ASCII.GetBytes("Vault object v1");
    private static readonly byte[] StateLabel = Encoding.ASCII.GetBytes("Vault state v1");
    private static readonly byte[] RoleLabel = Encoding.ASCII.GetBytes("Vault role definition v1");
    private static readonly byte[] AssignmentLabel = Encoding.ASCII.GetBytes("Vault role assignment v1");
    private static readonly byte[] KeyringLabel = Encoding.ASCII.GetBytes("Vault keyring row v1");

    /// <summary>
    /// A version's attributes, bound to its object (kind and name) and its ordinal. Its value and term
    /// are bound by the value's own AEAD. The recorded type (schema 7) is the last field, and only
    /// when there is one: a version without one has the bytes (and the MAC) it had before, and since
    /// every field is length-prefixed, adding, removing or changing a type changes the MAC.
    /// </summary>
    public static byte[] Version(CryptoBarrier barrier, ObjectKind kind, string name, VersionRow v) => Mac(barrier, VersionLabel, (ref c) =>
    {
        c.Text(kind.Collection);
        c.Text(name.ToLowerInvariant());
        c.Text(v.Version);
        c.Int(v.Ordinal);
        c.Int(v.Created);
        c.Int(v.Updated);
        c.Int(v.Enabled ? 1 : 0);
        Nullable(ref c, v.NotBefore);
        Nullable(ref c, v.Expires);
        c.Text(v.ContentType);
        c.Text(v.Tags);
        if (v.SecretType is { } type)
        {
            c.Text(type);
        }
    });

    /// <summary>An object's state: deleted and purge times, how many versions, the latest one's id and MAC, the sum of every version's MAC.</summary>
    public static byte[] Object(CryptoBarrier barrier, ObjectRow o) => Mac(barrier, ObjectLabel, (ref c) =>
    {
        c.Text(o.Kind.Collection);
        c.Text(o.Name.ToLowerInvariant());
        c.Int(o.Created);
        Nullable(ref c, o.Deleted);
        Nullable(ref c, o.ScheduledPurge);
        c.Int(o.VersionCount);
        c.Text(o.LatestVersion);
        c.Bytes(o.LatestMac);
        c.Bytes(o.VersionsDigest ?? Digest.Empty);
    });

    /// <summary>The vault's state: its settings, its objects' count and digest, its roles' and keyring rows' digests, its audit log's first record.</summary>
    public static byte[] State(CryptoBarrier barrier, VaultRow r) => Mac(barrier, StateLabel, (ref c) =>
    {
        c.Bytes(r.KeyringId.ToByteArray(bigEndian: true));
        c.Text(r.Name);
        c.Int(r.Created);
        c.Int(r.RetentionDays);
        c.Int(r.PurgeProtection ? 1 : 0);
        c.Text(r.KeyProtector);
        c.Int(r.ObjectsCount);
        c.Bytes(r.ObjectsDigest ?? Digest.Empty);
        c.Bytes(r.RolesDigest ?? Digest.Empty);
        c.Bytes(r.KeyringDigest ?? Digest.Empty);
        c.Bytes(r.FirstRecordHmac);
    });

    public static byte[] Role(CryptoBarrier barrier, RoleDefinitionRow r) => Mac(barrier, RoleLabel, (ref c) =>
    {
        c.Text(r.Id.ToString("D"));
        c.Text(r.Name);
        c.Text(r.Description);
        c.Text(r.DataActions);
        c.Text(r.NotDataActions);
        c.Int(r.Created);
    });

    public static byte[] Assignment(CryptoBarrier barrier, RoleAssignmentRow r) => Mac(barrier, AssignmentLabel, (ref c) =>
    {
        c.Text(r.Id.ToString("D"));
        c.Text(r.PrincipalId.ToLowerInvariant());
        c.Text(r.PrincipalName);
        c.Text(r.PrincipalType);
        c.Text(r.RoleDefinitionId.ToString("D"));
        c.Text(r.Scope.ToLowerInvariant());
        c.Int(r.Created);
    });

    /// <summary>A keyring row as stored: every column, so none (a key check among them) can be changed or dropped.</summary>
    public static byte[] KeyringRow(CryptoBarrier barrier, KeyringRow r) => Mac(barrier, KeyringLabel, (ref c) =>
    {
        c.Int(r.Term);
        c.Text(r.Purpose);
        c.Bytes(r.WrappedKey);
        c.Text(r.Mechanism);
        c.Bytes(r.KeyCheck);
        c.Bytes(r.Chain);
        c.Int(r.Created);
    });

    /// <summary>The sum of the MACs of a keyring's rows.</summary>
    public static byte[] KeyringDigest(CryptoBarrier barrier, IEnumerable<KeyringRow> rows) => Digest.Of(rows.Select(r => KeyringRow(barrier, r)));

    /// <summary>The sum of the MACs of a vault's role definitions and assignments.</summary>
    public static byte[] RolesDigest(CryptoBarrier barrier, IEnumerable<RoleDefinitionRow> roles, IEnumerable<RoleAssignmentRow> assignments) =>
        Digest.Of(roles.Select(r => Role(barrier, r)).Concat(assignments.Select(a => Assignment(barrier, a))));

    private delegate void Fields(ref AuditRecordFormat.Canonical canonical);

    private static void Nullable(ref AuditRecordFormat.Canonical c, long? value)
    {
        if (value is { } v)
        {
            c.Int(v);
        }
        else
        {
            c.Null();
        }
    }

    private static byte[] Mac(CryptoBarrier barrier, byte[] label, Fields fields)
    {
        var c = new AuditRecordFormat.Canonical(256);
        try
        {
            c.Raw(label);
            c.Bytes(barrier.VaultId.ToByteArray(bigEndian: true));
            fields(ref c);
            return barrier.MetadataMac(c.Written);
        }
        finally
        {
            c.Dispose();
        }
    }
}
