namespace S3Fanout.Shared.Telemetry;

/// <summary>
/// Live counters of one transfer, for the progress display, mirrored into <see cref="S3FanoutMetrics"/>.
/// Updated by the stages, read by a timer.
/// </summary>
internal sealed class TransferProgress(string role)
{
    private readonly KeyValuePair<string, object?> _role = S3FanoutMetrics.Role(role);
    private long _bytes;
    private long _segments;
    private long _lag;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Segments => Interlocked.Read(ref _segments);

    /// <summary>Subscriber only: segments the publisher stored that are not written here yet.</summary>
    public long Lag => Interlocked.Read(ref _lag);

    public void AddSegment(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _segments);
        S3FanoutMetrics.Bytes.Add(bytes, _role);
        S3FanoutMetrics.Segments.Add(1, _role);
    }

    public void SetLag(long segments)
    {
        var lag = Math.Max(0, segments);
        Interlocked.Exchange(ref _lag, lag);
        S3FanoutMetrics.LagSegments.Record(lag, _role);
    }
}
