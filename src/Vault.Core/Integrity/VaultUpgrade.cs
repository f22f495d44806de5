using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Integrity;

/// <summary>
/// A vault from before step 6 gains its MACs the first time an opener who holds its key opens it:
/// every version (its ordinal from the order it was written), every object, role and assignment,
/// the keyring's digest, and the vault's state bound to its audit log's first record, all in one
/// transaction with a record of its own (VaultUpgrade). What the file held then is taken as it was:
/// nothing authenticated it before.
/// </summary>
internal static class VaultUpgrade
{
    /// <summary>Writes every MAC in <paramref name="tx"/>; returns the vault's state for the upgrade's record to write.</summary>
    public static VaultState Authenticate(IVaultTransaction tx, CryptoBarrier barrier, string vaultName, out string description)
    {
        var row = tx.Settings.Read();
        var objectsDigest = Digest.Empty;
        long objects = 0, versions = 0;
        foreach (var kind in ObjectKind.All)
        {
            foreach (var obj in tx.Objects.ListAll(kind).ToList())
            {
                var state = obj with { VersionCount = 0, LatestVersion = null, LatestMac = null, VersionsDigest = Digest.Empty };
                foreach (var version in tx.Objects.ListVersions(obj, withValue: false, oldestFirst: true).ToList())
                {
                    VersionRow sealedVersion;
                    (state, sealedVersion) = ObjectIntegrity.Append(barrier, state, version with { Ordinal = 0, Mac = null });
                    tx.Objects.UpdateVersionAttributes(state, sealedVersion);
                    versions++;
                }

                tx.Objects.WriteState(state);
                objectsDigest = Digest.Add(objectsDigest, state.Mac!);
                objects++;
            }
        }

        foreach (var definition in tx.Roles.ReadDefinitions())
        {
            tx.Roles.UpdateDefinitionMac(definition.Id, MetadataFormat.Role(barrier, definition));
        }

        foreach (var assignment in tx.Roles.ReadAssignments())
        {
            tx.Roles.UpdateAssignmentMac(assignment.Id, MetadataFormat.Assignment(barrier, assignment));
        }

        byte[]? first = null;
        using (var chain = tx.Audit.ReadChain())
        {
            if (chain.Next() && chain.GetInt64(AuditField.Seq) == 1 && !chain.IsNull(AuditField.Hmac))
            {
                first = chain.GetBytes(AuditField.Hmac).ToArray();
            }
        }

        var upgraded = row with
        {
            ObjectsCount = objects,
            ObjectsDigest = objectsDigest,
            RolesDigest = MetadataFormat.RolesDigest(barrier, tx.Roles.ReadDefinitions(), tx.Roles.ReadAssignments()),
            KeyringDigest = MetadataFormat.KeyringDigest(barrier, tx.Keyring.Read()),
            FirstRecordHmac = first,
        };
        description = $"Metadata authenticated: {objects} object(s), {versions} version(s), the roles, the keyring and the settings.";
        return VaultState.Upgrading(tx, barrier, vaultName, upgraded);
    }
}
