namespace S3Fanout.Subscriber.Tracking;

/// <summary>How the broadcast ends: its segment count, byte count and, except for s3pipe2 archives, its SHA-256.</summary>
internal sealed record FinalInfo(long Segments, long Bytes, string? Sha256);
