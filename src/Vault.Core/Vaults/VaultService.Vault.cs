using System.Security;
using System.Security.Cryptography;
using Vault.Core.Audit;
using Vault.Core.Authorization;
using Vault.Core.Crypto;
using Vault.Core.Integrity;
using Vault.Core.Storage;

namespace Vault.Core;

/// <summary>The vault itself: its settings, whether this process holds its keyring, its removal.</summary>
public sealed partial class VaultService
{
    /// <summary>Changes the soft-delete retention, or turns purge protection on (never off).</summary>
    public void UpdateSettings(int? retentionDays, bool? purgeProtection) => Run(Operation(AuditOperations.VaultUpdate), op =>
    {
        if (retentionDays is { } days)
        {
            SecretRules.ValidateRetention(days);
        }

        Authorize(VaultActions.VaultWrite, RbacScope.Root);
        op.State.RequireBound();
        var row = op.State.Row;
        if (row.PurgeProtection && purgeProtection == false)
        {
            throw VaultErrors.PurgeProtectionCannotBeDisabled(VaultName);
        }

        op.State.Settings(r => r with { RetentionDays = retentionDays ?? r.RetentionDays, PurgeProtection = purgeProtection ?? r.PurgeProtection });
        op.Description = $"Soft-delete retention {retentionDays ?? row.RetentionDays} days; purge protection {((purgeProtection ?? row.PurgeProtection) ? "on" : "off")}.";
    });

    /// <summary>
    /// The check before a vault is deleted: refused while purge protection is on and the vault holds
    /// secrets, live or deleted and inside retention. A refusal is recorded; a removal takes the log
    /// with the vault (about_Vault_Audit says so). Returns the key file that goes with it, if any.
    /// </summary>
    internal string? PrepareRemoval() => Run(Operation(AuditOperations.VaultDelete).Requires(VaultActions.VaultDelete), op =>
    {
        var now = Now;
        var db = op.Transaction;
        foreach (var purged in db.Objects.PurgeExpired(now))
        {
            Integrity.ObjectIntegrity.CheckObject(op.Barrier, VaultName, purged);
            op.State.Object(purged, null);
        }

        // Purge protection, once on, stays on: the state must be one the audit head vouches for.
        op.State.RequireBound();
        var row = op.State.Row;
        var (live, latestPurge) = db.Objects.RetentionState(now);
        if (row.PurgeProtection && live > 0)
        {
            throw VaultErrors.VaultPurgeProtected(VaultName, live);
        }

        if (row.PurgeProtection && latestPurge is { } until)
        {
            throw VaultErrors.VaultPurgeProtectedDeleted(VaultName, UnixTime.FromMs(until));
        }

        op.Description = "The vault file, its log and its key file are deleted.";
        op.Commit();
        var settings = KeyProtectorSettings.FromJson(row.KeyProtector);
        return settings.Kind == SoftwareKeyProtector.KindName ? KeyProtectors.Describe(settings, Location) : null;
    });

    /// <summary>Opens the vault's keyring now (with a token PIN for a PKCS#11 vault, kept for this process).</summary>
    public void Unlock(SecureString? pin)
    {
        // Opening the keyring is the operation, so the record's key comes after it: a refusal or a
        // wrong PIN is an unchained entry unless this process holds the keyring already.
        var operation = Operation(AuditOperations.VaultUnlock).RequiresAnywhere(VaultActions.KeyringUnlock).WithoutBarrier();
        var bytes = KeyProtectors.PinBytes(pin);
        try
        {
            Run(operation, _ => vault.Unlock(opener, bytes));
        }
        finally
        {
            if (bytes is not null)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
    }

    /// <summary>
    /// Zeroes the vault's keyring in this process and forgets its PIN. It needs no role: it only
    /// forgets what this process holds.
    /// </summary>
    public void Lock() => vault.Lock();

    /// <summary>The vault as Get-Vault shows it, by the name <see cref="VaultName"/>; no role is checked here.</summary>
    internal VaultInfo Describe(bool isDefault)
    {
        VaultRow row;
        int terms;
        string? mechanism;
        using (var db = vault.Store.BeginRead())
        {
            // Held, the keyring vouches for what is shown (and the vault was authenticated when it
            // was opened); a locked vault's settings are shown as stored, and checked by whatever uses them.
            row = vault.HeldBarrier is { } held ? new VaultState(db, held, VaultName).Row : db.Settings.Read();
            var keyring = db.Keyring.Read().Where(CryptoBarrier.IsDataTerm).ToList();
            terms = keyring.Count;
            mechanism = keyring.LastOrDefault()?.Mechanism;
        }

        var settings = KeyProtectorSettings.FromJson(row.KeyProtector);
        return new VaultInfo
        {
            VaultName = VaultName,
            VaultId = row.VaultId,
            Path = Location.Address,
            KeyProtector = settings.Kind,
            KeyLocation = KeyProtectors.Describe(settings, Location),
            Pkcs11Library = settings.Library,
            TokenLabel = settings.TokenLabel,
            TokenSerial = settings.TokenSerial,
            KeyLabel = settings.KeyLabel,
            WrapMechanism = mechanism,
            KeyringTerms = terms,
            Unlocked = vault.IsUnlocked,
            SoftDeleteRetentionInDays = row.RetentionDays,
            EnablePurgeProtection = row.PurgeProtection,
            IsDefault = isDefault,
            Created = UnixTime.FromMs(row.Created),
        };
    }
}
