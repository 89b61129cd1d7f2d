using System.Globalization;
using System.Text;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The <c>.checksums</c> object written when a broadcast completes: one line per segment, <c>index offset size crc64nvme</c>.
/// It lets a reader of a finished archive verify every segment against what the publisher computed, not against
/// metadata stored beside the segment (which an overwrite would replace too). Written and read one line at a time
/// (<see cref="ChecksumIndexReader"/>), so its length is not limited by memory.
/// </summary>
internal static class ChecksumIndexCodec
{
    /// <summary>The longest line a well-formed index holds (three 19-digit numbers and a 12-character checksum), with room to spare.</summary>
    public const int MaxLineBytes = 128;

    public static readonly string Header = $"# s3fanout checksums v1: index offset size {SegmentChecksum.Algorithm}\n";

    public static string FormatLine(SegmentInfo s) => string.Create(CultureInfo.InvariantCulture, $"{s.Index} {s.Offset} {s.Size} {s.Checksum}\n");

    public static string Format(IEnumerable<SegmentInfo> segments)
    {
        var sb = new StringBuilder(Header);
        foreach (var s in segments)
        {
            sb.Append(FormatLine(s));
        }
        return sb.ToString();
    }

    /// <summary>A whole index held as text (small indexes, tests); long ones are read with <see cref="ChecksumIndexReader"/>.</summary>
    public static IReadOnlyList<SegmentInfo> Parse(string text)
    {
        var result = new List<SegmentInfo>();
        foreach (var raw in text.Split('\n'))
        {
            if (ParseLine(raw, result.Count == 0 ? null : result[^1]) is { } info)
            {
                result.Add(info);
            }
        }
        return result;
    }

    /// <summary>
    /// One line after <paramref name="previous"/> (null for the first): the segment it names, or null for a blank or
    /// comment line. Throws <see cref="ManifestException"/> for a malformed line or one out of sequence.
    /// </summary>
    public static SegmentInfo? ParseLine(string raw, SegmentInfo? previous)
    {
        var line = raw.Trim();
        if (line.Length == 0 || line[0] == '#')
        {
            return null;
        }
        var parts = line.Split(' ');
        if (parts.Length != 4
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || size > S3Limits.MaxObjectBytes
            || !SegmentChecksum.IsWellFormed(parts[3]))
        {
            throw new ManifestException($".checksums has a malformed line '{(line.Length > 60 ? line[..60] : line)}'");
        }
        // Cannot overflow: an offset is reached by adding sizes of at most 5 GiB.
        if (index != (previous?.Index ?? 0) + 1 || offset != (previous is null ? 0 : previous.Offset + previous.Size))
        {
            throw new ManifestException($".checksums line for segment {index} is out of sequence");
        }
        return new SegmentInfo(index, offset, size, parts[3]);
    }
}
