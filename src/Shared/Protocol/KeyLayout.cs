using System.Globalization;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The archive layout shared with s3pipe2: segments are <c>prefix/NNNNNNNNNNNNNNN</c> (15-digit, from 1),
/// the manifest is <c>prefix/.manifest</c>. Nothing else in the prefix may start with '0'. Read replicas
/// (<c>s3fanout-publish --replicas K</c>) are S3Fanout's own: replica k of segment n is <c>prefix/.replica-k/NNNNNNNNNNNNNNN</c>,
/// a folder whose name starts with '.', so <c>cat 0*</c> in a synced copy of the prefix still gives the stream, and a
/// prefix of its own per replica, since S3's request rate is per prefix.
/// </summary>
internal static class KeyLayout
{
    public const int IndexDigits = 15;
    public const long MaxIndex = 999_999_999_999_999;
    public const string ManifestName = ".manifest";
    public const string ChecksumsName = ".checksums";
    public const string ReplicaFolderStart = ".replica-";
    /// <summary>At most this many replicas besides the primary (--replicas).</summary>
    public const int MaxReplicas = 16;

    public static string SegmentKey(string prefix, long index)
    {
        if (index is < 1 or > MaxIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "segment index must be 1..999999999999999");
        }
        return $"{prefix}/{index.ToString("D15", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The folder of replica <paramref name="replica"/> (1..<see cref="MaxReplicas"/>): <c>prefix/.replica-k</c>.</summary>
    public static string ReplicaPrefix(string prefix, int replica) =>
        replica is >= 1 and <= MaxReplicas
            ? $"{prefix}/{ReplicaFolderStart}{replica.ToString(CultureInfo.InvariantCulture)}"
            : throw new ArgumentOutOfRangeException(nameof(replica), replica, $"replica must be 1..{MaxReplicas}");

    /// <summary>The key of segment <paramref name="index"/>: the primary for replica 0, else replica k's copy.</summary>
    public static string SegmentKey(string prefix, long index, int replica) =>
        replica == 0 ? SegmentKey(prefix, index) : SegmentKey(ReplicaPrefix(prefix, replica), index);

    public static string ManifestKey(string prefix) => $"{prefix}/{ManifestName}";

    public static string ChecksumsKey(string prefix) => $"{prefix}/{ChecksumsName}";

    /// <summary>Parses a read replica's key <c>prefix/.replica-k/NNNNNNNNNNNNNNN</c>; false for anything else.</summary>
    public static bool TryParseReplicaKey(string prefix, string key, out int replica, out long index)
    {
        replica = 0;
        index = 0;
        var start = prefix + "/" + ReplicaFolderStart;
        var slash = key.IndexOf('/', Math.Min(start.Length, key.Length));
        return key.StartsWith(start, StringComparison.Ordinal) && slash > start.Length
            && int.TryParse(key.AsSpan(start.Length, slash - start.Length), NumberStyles.None, CultureInfo.InvariantCulture, out replica)
            && replica is >= 1 and <= MaxReplicas && key[start.Length] != '0'
            && TryParseSegmentIndex(key[..slash], key, out index);
    }

    /// <summary>Parses the index of a segment key under <paramref name="prefix"/>; false for anything else.</summary>
    public static bool TryParseSegmentIndex(string prefix, string key, out long index)
    {
        index = 0;
        var expectedStart = prefix + "/";
        if (!key.StartsWith(expectedStart, StringComparison.Ordinal))
        {
            return false;
        }
        var name = key.AsSpan(expectedStart.Length);
        if (name.Length != IndexDigits)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        index = long.Parse(name, NumberStyles.None, CultureInfo.InvariantCulture);
        return index >= 1;
    }
}
