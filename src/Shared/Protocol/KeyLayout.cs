using System.Globalization;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The archive layout shared with s3pipe2: segments are <c>prefix/NNNNNNNNNNNNNNN</c> (15-digit, from 1),
/// the manifest is <c>prefix/.manifest</c>. Nothing else in the prefix may start with '0'.
/// </summary>
internal static class KeyLayout
{
    public const int IndexDigits = 15;
    public const long MaxIndex = 999_999_999_999_999;
    public const string ManifestName = ".manifest";
    public const string ChecksumsName = ".checksums";

    public static string SegmentKey(string prefix, long index)
    {
        if (index is < 1 or > MaxIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "segment index must be 1..999999999999999");
        }
        return $"{prefix}/{index.ToString("D15", CultureInfo.InvariantCulture)}";
    }

    public static string ManifestKey(string prefix) => $"{prefix}/{ManifestName}";

    public static string ChecksumsKey(string prefix) => $"{prefix}/{ChecksumsName}";

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
