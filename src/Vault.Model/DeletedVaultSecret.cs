using System.Diagnostics.CodeAnalysis;

namespace Vault;

/// <summary>
/// A soft-deleted secret (its latest version's attributes), recoverable with
/// <c>Undo-VaultSecretRemoval</c> until <see cref="ScheduledPurgeDate"/>.
/// </summary>
public sealed class DeletedVaultSecret : VaultSecretProperties
{
    /// <summary>The latest version's properties of a deleted secret, with when it was deleted and will be purged.</summary>
    [SetsRequiredMembers]
    public DeletedVaultSecret(VaultSecretProperties properties, DateTime deletedDate, DateTime scheduledPurgeDate)
        : base(properties)
    {
        DeletedDate = deletedDate;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>When the secret was deleted (UTC).</summary>
    public required DateTime DeletedDate { get; init; }

    /// <summary>When the secret will be purged for good (UTC).</summary>
    public required DateTime ScheduledPurgeDate { get; init; }

    /// <summary>The identifier of the deleted secret: <c>vault://&lt;vault&gt;/deletedsecrets/&lt;name&gt;</c>.</summary>
    public string RecoveryId => $"{VaultSecretId.Scheme}://{VaultName}/deletedsecrets/{Name}";
}
