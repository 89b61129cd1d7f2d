using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Fetching;

/// <summary>A fetched segment failed verification; it is fetched again, and reported by name when retries run out.</summary>
internal sealed class SegmentCorruptException(long index, string detail)
    : FatalException(ExitCodes.Integrity, $"segment {index} failed verification: {detail}", retryable: true)
{
    public long Index { get; } = index;

    /// <summary>What did not match, without the segment's name.</summary>
    public string Detail { get; } = detail;
}
