using S3Fanout.Subscriber.Reading;

namespace S3Fanout.Subscriber.Archive;

/// <summary>What <c>verify</c> found; printed as a report, or as this object with <c>--json</c> (snake_case names).</summary>
internal sealed record VerifyResult
{
    public required string Url { get; init; }
    public required string Bucket { get; init; }
    public required string Name { get; init; }
    public required string State { get; init; }
    public required string Format { get; init; }
    /// <summary>True only when every segment, the total size and (when recorded) the stream SHA-256 matched, and the broadcast is complete.</summary>
    public bool Ok { get; init; }
    /// <summary>What each segment was checked against: "checksums" (the .checksums index), "metadata" (object metadata) or "etag_md5" (s3pipe2).</summary>
    public required string ChecksumSource { get; init; }
    /// <summary>Segments the manifest lists (num_segments).</summary>
    public long Segments { get; init; }
    public long SegmentsVerified { get; init; }
    /// <summary>Bytes of the verified segments.</summary>
    public long Bytes { get; init; }
    /// <summary>The manifest's total_size.</summary>
    public long ExpectedBytes { get; init; }
    public bool? SizeOk { get; init; }
    public string? StreamSha256Expected { get; init; }
    public string? StreamSha256Actual { get; init; }
    /// <summary>Null when the stream could not be (or is not to be) compared: a bad segment, an open broadcast, an s3pipe2 archive.</summary>
    public bool? StreamSha256Ok { get; init; }
    /// <summary>Every segment that failed verification, is missing, or should not be there.</summary>
    public required IReadOnlyList<SegmentProblem> BadSegments { get; init; }
    /// <summary>Segments that could not be fetched within -t attempts (not known to be bad).</summary>
    public required IReadOnlyList<SegmentProblem> FailedSegments { get; init; }
    /// <summary>Problems of the archive as a whole (size, stream checksum, index), one sentence each.</summary>
    public required IReadOnlyList<string> Problems { get; init; }
    /// <summary>Read replicas of each segment the manifest records; each was checked like its primary (bad ones are in <see cref="BadSegments"/>).</summary>
    public int Replicas { get; init; }
    /// <summary>Replica segments found missing (deleted, or expired by a lifecycle rule): noted, not a failure.</summary>
    public IReadOnlyList<string> ReplicaNotes { get; init; } = [];
}
