using Vault.Core.Crypto;
using Vault.Core.Storage;

namespace Vault.Core.Integrity;

/// <summary>
/// An object's versions and state under their MACs: checked on every read, kept on every change.
/// A version's MAC covers its attributes and ordinal; the object's, its state, its latest version
/// (id, ordinal, MAC) and the sum of every version's MAC. So a version edited, swapped with another,
/// deleted or put back as it was before is refused, naming the object.
/// </summary>
internal static class ObjectIntegrity
{
    /// <summary>An object and its latest version (as storage found it, latest by order of writing), refused unless both hold and agree.</summary>
    public static void CheckLatest(CryptoBarrier barrier, string vaultName, ObjectRow obj, VersionRow latest)
    {
        CheckObject(barrier, vaultName, obj);
        CheckVersion(barrier, vaultName, obj, latest);
        if (latest.Ordinal != obj.VersionCount || !string.Equals(latest.Version, obj.LatestVersion, StringComparison.Ordinal)
            || !latest.Mac.AsSpan().SequenceEqual(obj.LatestMac))
        {
            throw Failed(vaultName, obj, $"its latest version is {obj.LatestVersion} (version {obj.VersionCount}), but version {latest.Version} (version {latest.Ordinal}) is stored as the latest: versions were removed, reordered or put back.");
        }
    }

    /// <summary>Every version of an object, in the order written: each MAC, their ordinals 1 to n, their count and their sum.</summary>
    public static void CheckAll(CryptoBarrier barrier, string vaultName, ObjectRow obj, IEnumerable<VersionRow> oldestFirst)
    {
        CheckObject(barrier, vaultName, obj);
        long expected = 0;
        var sum = Digest.Empty;
        VersionRow? last = null;
        foreach (var version in oldestFirst)
        {
            CheckVersion(barrier, vaultName, obj, version);
            if (version.Ordinal != ++expected)
            {
                throw Failed(vaultName, obj, $"version {version.Version} is stored as version {expected} but was written as version {version.Ordinal}: versions were removed or reordered.");
            }

            sum = Digest.Add(sum, version.Mac!);
            last = version;
        }

        if (expected != obj.VersionCount || !Digest.Same(sum, obj.VersionsDigest) || last is null
            || !string.Equals(last.Version, obj.LatestVersion, StringComparison.Ordinal))
        {
            throw Failed(vaultName, obj, $"it has {obj.VersionCount} version(s) under its MAC but {expected} are stored, or one was put back as it was before.");
        }
    }

    public static void CheckObject(CryptoBarrier barrier, string vaultName, ObjectRow obj)
    {
        if (obj.Mac is null || !obj.Mac.AsSpan().SequenceEqual(MetadataFormat.Object(barrier, obj)))
        {
            throw Failed(vaultName, obj, "its state (deleted or not, purge date, its versions) does not match its MAC.");
        }
    }

    public static void CheckVersion(CryptoBarrier barrier, string vaultName, ObjectRow obj, VersionRow version)
    {
        if (version.Mac is null || version.Ordinal < 1 || version.Ordinal > obj.VersionCount
            || !version.Mac.AsSpan().SequenceEqual(MetadataFormat.Version(barrier, obj.Kind, obj.Name, version)))
        {
            throw Failed(vaultName, obj, $"the attributes of version {version.Version} (enabled, dates, content type, tags, or its place) do not match their MAC.");
        }
    }

    /// <summary>A new version for <paramref name="obj"/>: its ordinal and MAC, and the object's new state (MAC'd).</summary>
    public static (ObjectRow Object, VersionRow Version) Append(CryptoBarrier barrier, ObjectRow obj, VersionRow version)
    {
        var ordinal = obj.VersionCount + 1;
        var sealedVersion = version with { Ordinal = ordinal };
        sealedVersion = sealedVersion with { Mac = MetadataFormat.Version(barrier, obj.Kind, obj.Name, sealedVersion) };
        var state = obj with
        {
            VersionCount = ordinal,
            LatestVersion = sealedVersion.Version,
            LatestMac = sealedVersion.Mac,
            VersionsDigest = Digest.Add(obj.VersionsDigest, sealedVersion.Mac),
        };
        return (Seal(barrier, state), sealedVersion);
    }

    /// <summary>A version's attributes changed: its new MAC, and the object's new state.</summary>
    public static (ObjectRow Object, VersionRow Version) Update(CryptoBarrier barrier, ObjectRow obj, VersionRow before, VersionRow after)
    {
        var sealedVersion = after with { Ordinal = before.Ordinal, Mac = null };
        sealedVersion = sealedVersion with { Mac = MetadataFormat.Version(barrier, obj.Kind, obj.Name, sealedVersion) };
        var isLatest = string.Equals(before.Version, obj.LatestVersion, StringComparison.Ordinal);
        var state = obj with
        {
            LatestMac = isLatest ? sealedVersion.Mac : obj.LatestMac,
            VersionsDigest = Digest.Add(Digest.Subtract(obj.VersionsDigest, before.Mac!), sealedVersion.Mac),
        };
        return (Seal(barrier, state), sealedVersion);
    }

    /// <summary>The object's state with its MAC worked out again (after its deleted state changed, or above).</summary>
    public static ObjectRow Seal(CryptoBarrier barrier, ObjectRow obj) => obj with { Mac = MetadataFormat.Object(barrier, obj with { Mac = null }) };

    private static VaultException Failed(string vaultName, ObjectRow obj, string problem) => VaultErrors.MetadataIntegrityFailed(vaultName, obj.Name, problem);
}
