using System.Security.Cryptography;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Integrity;

/// <summary>
/// Test-Vault's pass over a whole vault, from one snapshot: the settings against their MAC and the
/// audit head, the keyring rows and role rows against the digests the settings hold, every object's
/// state and every version's attributes, place and ciphertext, the set of objects against its count
/// and digest, and the audit chain. Every failure is reported, not only the first; nothing is changed.
/// </summary>
internal static class VaultVerifier
{
    public static VaultIntegrityReport Verify(IVaultStore store, CryptoBarrier barrier, string vaultName, VaultAuditVerification audit)
    {
        var problems = new List<VaultIntegrityProblem>();
        long secrets = 0, versions = 0, roles = 0;
        using (var db = store.BeginRead())
        {
            var state = db.Settings.Read();
            CheckSettings(barrier, vaultName, state, db.Audit, problems);
            if (!Digest.Same(MetadataFormat.KeyringDigest(barrier, db.Keyring.Read()), state.KeyringDigest))
            {
                problems.Add(Problem(VaultIntegrityArea.Keyring, "keyring", "the keyring's rows (wrapped keys, mechanisms, key checks, chain links) are not the ones the vault's state holds."));
            }

            var definitions = db.Roles.ReadDefinitions();
            var assignments = db.Roles.ReadAssignments();
            roles = definitions.Count + assignments.Count;
            problems.AddRange(Authorization.RoleCache.Problems(barrier, definitions, assignments, state)
                .Select(p => Problem(VaultIntegrityArea.Roles, "roles", p)));

            foreach (var kind in ObjectKind.All)
            {
                var count = 0L;
                var sum = Digest.Empty;
                foreach (var obj in db.Objects.ListAll(kind))
                {
                    count++;
                    sum = Digest.Add(sum, obj.Mac ?? []);
                    versions += CheckObject(db.Objects, barrier, vaultName, obj, problems);
                }

                secrets += count;
                if (count != state.ObjectsCount || !Digest.Same(sum, state.ObjectsDigest))
                {
                    problems.Add(Problem(VaultIntegrityArea.Secrets, "secrets", $"the vault's state holds {state.ObjectsCount} secret(s) and {count} are stored, or one was put back as it was before: a secret was removed or restored outside Vault."));
                }
            }
        }

        if (!audit.IsValid)
        {
            problems.Add(new VaultIntegrityProblem { Area = VaultIntegrityArea.AuditLog, Name = "audit log", ErrorId = "AuditLogTampered", Message = audit.Message });
        }

        return new VaultIntegrityReport
        {
            VaultName = vaultName,
            IsValid = problems.Count == 0,
            SecretCount = secrets,
            VersionCount = versions,
            RoleCount = roles,
            Problems = problems,
            AuditLog = audit,
            Message = problems.Count == 0
                ? $"Vault '{vaultName}' verifies: its settings, keyring, {roles} role row(s), {secrets} secret(s) with {versions} version(s), and {audit.RecordCount} audit record(s)."
                : $"Vault '{vaultName}' fails verification: {problems.Count} problem(s), first {problems[0]}",
        };
    }

    private static void CheckSettings(CryptoBarrier barrier, string vaultName, VaultRow state, IAuditStore log, List<VaultIntegrityProblem> problems)
    {
        try
        {
            VaultState.Check(barrier, vaultName, state);
        }
        catch (VaultException ex)
        {
            problems.Add(Problem(VaultIntegrityArea.Settings, "settings", ex));
            return;
        }

        var head = log.ReadHead();
        if (VaultState.IsBound(log, barrier, head, state) && !head!.StateMac.AsSpan().SequenceEqual(state.Mac))
        {
            problems.Add(Problem(VaultIntegrityArea.Settings, "settings", "the vault's state is not the one its audit log last recorded (an older copy of the settings was put back)."));
        }
    }

    /// <summary>One object: its state, then each version oldest first (MAC, place, ciphertext). Returns the versions seen.</summary>
    private static long CheckObject(IObjectStore objects, CryptoBarrier barrier, string vaultName, ObjectRow obj, List<VaultIntegrityProblem> problems)
    {
        var stored = objects.ListVersions(obj, withValue: true, oldestFirst: true).ToList();
        try
        {
            ObjectIntegrity.CheckAll(barrier, vaultName, obj, stored);
        }
        catch (VaultException ex)
        {
            problems.Add(Problem(VaultIntegrityArea.Secret, obj.Name, ex));
        }

        foreach (var version in stored)
        {
            try
            {
                CryptographicOperations.ZeroMemory(barrier.Open(obj.Kind, obj.Name, version.Version, version.Term, version.Value!));
            }
            catch (VaultException ex)
            {
                problems.Add(Problem(VaultIntegrityArea.Secret, obj.Name, ex));
            }
        }

        return stored.Count;
    }

    private static VaultIntegrityProblem Problem(VaultIntegrityArea area, string name, VaultException ex) =>
        new() { Area = area, Name = name, ErrorId = ex.ErrorId, Message = ex.Message };

    private static VaultIntegrityProblem Problem(VaultIntegrityArea area, string name, string message) =>
        new() { Area = area, Name = name, ErrorId = "MetadataIntegrityFailed", Message = message };
}
