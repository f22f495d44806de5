using System.Globalization;
using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Audit;

/// <summary>
/// Checks a vault's audit chain from one snapshot, one row at a time, in the order the records were
/// written: each record's HMAC, its link to the one before, no gap in the sequence numbers, the
/// head, and an anchored head if one is given. Stops at the first problem and names it.
/// </summary>
internal static class AuditVerifier
{
    public const string Edited = "Edited";
    public const string Removed = "Removed";
    public const string Reordered = "Reordered";
    public const string Truncated = "Truncated";
    public const string RolledBack = "RolledBack";
    public const string Forged = "Forged";

    /// <summary>
    /// The errors an operation can fail with before the keyring opens, when there is no key to chain
    /// its record with. An unchained entry with any other (or a success) was not written by Vault.
    /// </summary>
    private static readonly string[] BeforeTheKeyring =
    [
        "KeyProtectorUnavailable", "KeyProtectorLocked", "HsmLoginFailed", "HsmPinLocked", "HsmTokenNotFound", "HsmLibraryNotFound",
        "HsmOperationFailed", "HsmMechanismUnsupported", "RootKeyNotFound", "KeyringIntegrityFailed", "KeyFileInsecure",
        "Pkcs11LibraryNotTrusted", "VaultStorageFailed", "AccessDenied", "InvalidKeyProtectorOptions", "KeyringBackupInvalid",
        "WeakKeyringPassword", "AuditWriteFailed",
    ];

    public static VaultAuditVerification Verify(IVaultStore store, CryptoBarrier barrier, string vaultName, VaultAuditHead? expected, Func<AuditHeadRow, VaultAuditHead> toHead)
    {
        using var db = store.BeginRead();
        using var mac = barrier.NewAuditVerifier();
        var log = db.Audit;
        var headRow = log.ReadHead();
        var firstRecord = db.Settings.Read().FirstRecordHmac;
        var head = headRow is null ? null : toHead(headRow);
        var unchained = log.CountUnchained();
        long count = 0, lastSeq = 0;
        var lastHmac = (byte[])AuditChain.Genesis.Clone();
        byte[]? anchoredHmac = null;
        byte[]? firstHmac = null;

        VaultAuditVerification Bad(string problem, long seq, string message) => new()
        {
            VaultName = vaultName,
            IsValid = false,
            RecordCount = count,
            UnchainedCount = unchained,
            LastSequenceNumber = lastSeq,
            Head = head,
            ExpectedHead = expected,
            FirstBadSequenceNumber = seq,
            Problem = problem,
            Message = string.Create(CultureInfo.InvariantCulture, $"{problem} at sequence number {seq}: {message}"),
        };

        var canonical = new AuditRecordFormat.Canonical(4096);
        try
        {
            using var cursor = log.ReadChain();
            while (cursor.Next())
            {
                var seq = cursor.GetInt64(AuditField.Seq);
                var expectedSeq = lastSeq + 1;
                AuditRecordFormat.Of(cursor, ref canonical);
                if (cursor.IsNull(AuditField.Hmac) || !mac.Matches(canonical.Written, cursor.GetBytes(AuditField.Hmac)))
                {
                    var operation = System.Text.Encoding.UTF8.GetString(cursor.GetBytes(AuditField.Operation));
                    var time = UnixTime.FromMs(cursor.GetInt64(AuditField.Time));
                    return Bad(Edited, seq == expectedSeq ? seq : expectedSeq,
                        $"the record's HMAC does not match its fields ({operation} at {time:O}); a field, its sequence number or its link was changed.");
                }

                if (seq != expectedSeq)
                {
                    if (seq < expectedSeq || log.SeqExists(expectedSeq))
                    {
                        return Bad(Reordered, Math.Min(seq, expectedSeq),
                            $"record {seq} was written after record {lastSeq} in the file, but the chain puts {expectedSeq} there; records were moved.");
                    }

                    return Bad(Removed, expectedSeq,
                        seq == expectedSeq + 1
                            ? $"record {expectedSeq} is missing (the next record found is {seq})."
                            : $"records {expectedSeq} to {seq - 1} are missing (the next record found is {seq}).");
                }

                // Both links are stored, neither secret: a plain comparison.
                if (cursor.IsNull(AuditField.PrevHmac) || !cursor.GetBytes(AuditField.PrevHmac).SequenceEqual(lastHmac))
                {
                    return Bad(Edited, seq, $"the record does not link to record {lastSeq} before it; that record was replaced.");
                }

                var recordHmac = cursor.GetBytes(AuditField.Hmac);
                if (expected is not null && seq == expected.SequenceNumber)
                {
                    anchoredHmac = recordHmac.ToArray();
                }

                if (seq == 1)
                {
                    firstHmac = recordHmac.ToArray();
                }

                count++;
                lastSeq = seq;
                if (recordHmac.Length != lastHmac.Length)
                {
                    lastHmac = new byte[recordHmac.Length];
                }

                recordHmac.CopyTo(lastHmac);
            }
        }
        finally
        {
            canonical.Dispose();
        }

        // The vault's state holds its first record's HMAC (the creation's, or the upgrade's): a log
        // wiped, or replaced by another, does not start with it.
        if (firstRecord is not null)
        {
            if (count == 0)
            {
                return Bad(Removed, 1, "the log has none of its records, not even the first (the vault's creation): it was wiped.");
            }

            if (firstHmac is null || !firstHmac.AsSpan().SequenceEqual(firstRecord))
            {
                return Bad(Removed, 1, "the first record is not the one the vault's state names (its creation, or its upgrade): the log was wiped and begun again, or replaced by another.");
            }
        }

        if (headRow is null)
        {
            if (count > 0)
            {
                return Bad(Edited, lastSeq, "the log has records but its head is gone.");
            }
        }
        else
        {
            if (!AuditChain.HeadMatches(barrier, headRow))
            {
                return Bad(Edited, headRow.Seq, "the head's HMAC does not match it; the head was changed.");
            }

            if (lastSeq < headRow.Seq)
            {
                return Bad(Truncated, lastSeq + 1,
                    $"the log ends at record {lastSeq} but its head says {headRow.Seq}: {headRow.Seq - lastSeq} record(s) were cut from the end.");
            }

            if (lastSeq > headRow.Seq || !lastHmac.AsSpan().SequenceEqual(headRow.Hmac))
            {
                return Bad(Edited, headRow.Seq, $"the head (record {headRow.Seq}) does not match the last record ({lastSeq}).");
            }
        }

        if (expected is not null)
        {
            if (lastSeq < expected.SequenceNumber)
            {
                return Bad(RolledBack, lastSeq + 1,
                    $"the log ends at record {lastSeq}, before the anchored head {expected.SequenceNumber}: the file was rolled back to an older copy.");
            }

            if (anchoredHmac is null || !string.Equals(Convert.ToHexStringLower(anchoredHmac), expected.Hmac, StringComparison.OrdinalIgnoreCase))
            {
                return Bad(RolledBack, expected.SequenceNumber,
                    $"record {expected.SequenceNumber} is not the anchored one: the log was rolled back and written again since the head was anchored.");
            }
        }

        foreach (var entry in log.Query(new AuditQuery { UnchainedOnly = true, OldestFirst = true }))
        {
            var errorId = entry.Description?.Split(':', 2)[0];
            if (entry.ResultType == "Success" || errorId is null || !BeforeTheKeyring.Contains(errorId, StringComparer.Ordinal))
            {
                return Bad(Forged, lastSeq + 1,
                    $"the unchained entry {entry.Id} ({entry.Operation} {entry.ResultType} by {entry.CallerName ?? entry.CallerId}) is not a failure before the keyring opened, the only kind Vault writes unchained: someone wrote it into the file.");
            }
        }

        return new VaultAuditVerification
        {
            VaultName = vaultName,
            IsValid = true,
            RecordCount = count,
            UnchainedCount = unchained,
            LastSequenceNumber = lastSeq,
            Head = head,
            ExpectedHead = expected,
            Message = string.Create(CultureInfo.InvariantCulture,
                $"The audit log of vault '{vaultName}' is intact: {count} chained record(s), 1 to {lastSeq}, every HMAC and link verified, and the vault's stored head names the last record. {(expected is null ? "No -ExpectedHead was given, so a log rolled back or rewritten whole by someone who holds the vault's key is not ruled out: keep Get-VaultAuditHead's output elsewhere and give it as -ExpectedHead next time." : $"It reaches the anchored head {expected.SequenceNumber}.")} {unchained} unchained entr{(unchained == 1 ? "y" : "ies")} (failures before the vault opened) are not covered."),
        };
    }
}
