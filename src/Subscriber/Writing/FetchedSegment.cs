using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Writing;

/// <summary>A verified segment waiting for its turn, or (with no buffer) the marker that the stream ends before <see cref="Index"/>.</summary>
internal sealed record FetchedSegment(long Index, SegmentBuffer? Buffer, SegmentInfo? Info)
{
    public bool IsEnd => Buffer is null;

    public static FetchedSegment EndBefore(long index) => new(index, null, null);
}
