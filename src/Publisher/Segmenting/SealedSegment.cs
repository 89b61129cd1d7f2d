using S3Fanout.Shared.Buffers;

namespace S3Fanout.Publisher.Segmenting;

/// <summary>A segment cut from stdin, ready to upload. Its buffer holds one of the publisher's segment slots.</summary>
internal sealed record SealedSegment(long Index, long Offset, SegmentBuffer Buffer);
