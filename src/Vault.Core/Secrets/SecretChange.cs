namespace Vault.Core;

/// <summary>A change to one secret that looks the secret up before it acts (see <see cref="VaultService.FindSecretFor"/>).</summary>
public enum SecretChange
{
    /// <summary>Update-VaultSecret: a live secret's version, the latest when none is named.</summary>
    Update,

    /// <summary>Remove-VaultSecret: a live secret.</summary>
    Delete,

    /// <summary>Remove-VaultSecret -InRemovedState: a deleted secret inside its retention.</summary>
    Purge,

    /// <summary>Undo-VaultSecretRemoval: a deleted secret inside its retention.</summary>
    Recover,

    /// <summary>Backup-VaultSecret: a live secret.</summary>
    Backup,
}
