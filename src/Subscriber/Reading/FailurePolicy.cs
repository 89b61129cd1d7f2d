namespace S3Fanout.Subscriber.Reading;

/// <summary>What the reader does with a segment that stays bad after -t attempts.</summary>
internal enum FailurePolicy
{
    /// <summary>
    /// Stop everything with that segment's error once the segments before it are written: a sink must never receive a
    /// gap or wrong bytes, and gets all it can before the bad segment (subscribe, serve).
    /// </summary>
    AbortOnFirstBadSegment,

    /// <summary>Note it and go on with the next one, so every bad segment is named (verify, which writes nowhere).</summary>
    RecordAndContinue,
}
