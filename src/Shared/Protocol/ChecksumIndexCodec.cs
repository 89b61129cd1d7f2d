using System.Globalization;
using System.Text;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The <c>.checksums</c> object written when a broadcast completes: one line per segment, <c>index offset size crc64nvme</c>.
/// It lets a reader of a finished archive verify every segment against what the publisher computed, not against
/// metadata stored beside the segment (which an overwrite would replace too).
/// </summary>
internal static class ChecksumIndexCodec
{
    public static string Format(IEnumerable<SegmentInfo> segments)
    {
        var sb = new StringBuilder();
        sb.Append("# s3fanout checksums v1: index offset size ").Append(SegmentChecksum.Algorithm).Append('\n');
        foreach (var s in segments)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{s.Index} {s.Offset} {s.Size} {s.Checksum}\n");
        }
        return sb.ToString();
    }

    public static IReadOnlyList<SegmentInfo> Parse(string text)
    {
        var result = new List<SegmentInfo>();
        long expectedOffset = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
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
            if (index != result.Count + 1 || offset != expectedOffset)
            {
                throw new ManifestException($".checksums line for segment {index} is out of sequence");
            }
            expectedOffset = offset + size; // cannot overflow: offset was reached by adding sizes of at most 5 GiB
            result.Add(new SegmentInfo(index, offset, size, parts[3]));
        }
        return result;
    }
}
