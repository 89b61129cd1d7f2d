namespace S3Fanout.Subscriber.Reading;

/// <summary>A segment that is bad (failed verification, missing, not part of the broadcast) or could not be fetched.</summary>
internal sealed record SegmentProblem(long Index, string Key, string Reason);
