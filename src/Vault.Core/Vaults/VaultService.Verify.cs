using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Integrity;

namespace Vault.Core;

/// <summary>Test-Vault: the whole vault checked in one pass.</summary>
public sealed partial class VaultService
{
    /// <summary>
    /// Checks everything that decides the vault's behaviour against its MACs (settings, keyring, roles,
    /// every secret's state and every version's attributes, place and ciphertext, the set of secrets)
    /// and walks the audit chain; reports every failure, not only the first, and changes nothing.
    /// Runs on a vault whose metadata fails (that is what it is for): its caller needs
    /// Vault/audit/read/action on the roles as stored. It shows names and verdicts, never a value.
    /// </summary>
    public VaultIntegrityReport VerifyVault() =>
        Run(Operation(AuditOperations.VaultVerify).Requires(VaultActions.AuditRead).Inspecting(), op =>
        {
            var audit = AuditVerifier.Verify(vault.Store, op.Barrier, VaultName, null, Head);
            var report = VaultVerifier.Verify(vault.Store, op.Barrier, VaultName, audit);
            op.Description = report.Message;
            return report;
        });
}
