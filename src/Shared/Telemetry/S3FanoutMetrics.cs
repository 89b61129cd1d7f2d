using System.Diagnostics.Metrics;

namespace S3Fanout.Shared.Telemetry;

/// <summary>
/// The meter every stage reports to (<c>S3Fanout</c>). Exported through OpenTelemetry by the mirror service when
/// configured, and readable by any <see cref="MeterListener"/> (e.g. dotnet-counters) otherwise.
/// </summary>
internal static class S3FanoutMetrics
{
    public const string MeterName = "S3Fanout";
    private static readonly Meter Meter = new(MeterName, typeof(S3FanoutMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>Bytes stored (publisher) or written to a sink (subscriber).</summary>
    public static readonly Counter<long> Bytes = Meter.CreateCounter<long>("s3fanout.bytes", "By", "Bytes stored or delivered");

    /// <summary>Segments stored (publisher) or written in order (subscriber).</summary>
    public static readonly Counter<long> Segments = Meter.CreateCounter<long>("s3fanout.segments", "{segment}", "Segments stored or delivered");

    /// <summary>Whole-step retries (put-then-verify, fetch-then-verify, manifest writes).</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("s3fanout.retries", "{retry}", "Steps retried");

    /// <summary>Throttling answers (503 SlowDown, 429) absorbed by waiting, not counted as failed attempts.</summary>
    public static readonly Counter<long> SlowDowns = Meter.CreateCounter<long>("s3fanout.slowdowns", "{answer}", "Throttling answers absorbed");

    /// <summary>Fetched segments that failed verification (each is fetched again, up to -t).</summary>
    public static readonly Counter<long> ChecksumFailures = Meter.CreateCounter<long>("s3fanout.checksum_failures", "{segment}", "Segments that failed verification");

    /// <summary>From a segment-ready notification being sent to the segment being fetched and verified.</summary>
    public static readonly Histogram<double> NotificationToDownload = Meter.CreateHistogram<double>("s3fanout.notification_to_download", "s", "Notification to verified download");

    /// <summary>Notifications the publisher gave up on (reason = backlog, late, failed or unsent); subscribers had the manifest.</summary>
    public static readonly Counter<long> NotificationsDropped = Meter.CreateCounter<long>("s3fanout.notifications_dropped", "{notification}", "Notifications not sent");

    /// <summary>Segments known to be stored but not yet written by this subscriber.</summary>
    public static readonly Histogram<long> LagSegments = Meter.CreateHistogram<long>("s3fanout.lag", "{segment}", "Subscriber lag behind the publisher");

    public static KeyValuePair<string, object?> Role(string role) => new("role", role);
}
