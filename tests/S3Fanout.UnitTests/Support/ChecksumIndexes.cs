using System.Text;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.UnitTests.Support;

internal static class ChecksumIndexes
{
    /// <summary>A reader of the <c>.checksums</c> text of <paramref name="segments"/>, as a tracker reads a stored one.</summary>
    public static ChecksumIndexReader Reader(IEnumerable<SegmentInfo> segments) =>
        new(new MemoryStream(Encoding.UTF8.GetBytes(ChecksumIndexCodec.Format(segments))), "test/.checksums");
}
