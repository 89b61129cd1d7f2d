namespace S3Fanout.Shared.Protocol;

/// <summary>What the publisher vouches for about one stored segment.</summary>
internal sealed record SegmentInfo(long Index, long Offset, long Size, string Checksum);
