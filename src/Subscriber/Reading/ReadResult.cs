namespace S3Fanout.Subscriber.Reading;

/// <summary>What one read of a broadcast delivered.</summary>
/// <param name="Sha256">The stream SHA-256 of the delivered bytes; null when a bad segment left a gap.</param>
/// <param name="Bad">Segments that failed verification or were missing (only with <see cref="FailurePolicy.RecordAndContinue"/>).</param>
/// <param name="Failed">Segments that could not be fetched in -t attempts (only with <see cref="FailurePolicy.RecordAndContinue"/>).</param>
internal sealed record ReadResult(
    long Bytes, long Segments, string? Sha256, TimeSpan Elapsed, IReadOnlyList<SegmentProblem> Bad, IReadOnlyList<SegmentProblem> Failed);
