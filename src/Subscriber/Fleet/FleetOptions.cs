namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Settings of <c>s3fanout-subscribe serve</c>, bound from the <c>S3Fanout</c> section of the configuration
/// (JSON file, <c>S3FANOUT__*</c> environment variables, <c>--set S3Fanout:Key=Value</c>) and validated at start.
/// </summary>
internal sealed class FleetOptions
{
    public const string Section = "S3Fanout";

    /// <summary>What to mirror: each channel is a bucket and key prefix with its own sink.</summary>
    public List<ChannelOptions> Channels { get; set; } = [];

    /// <summary>One <see cref="MirrorRecord"/> per broadcast, so no run is mirrored twice; resume checkpoints live with the sinks.</summary>
    public string StateDirectory { get; set; } = "/var/lib/s3fanout";

    /// <summary>Broadcasts mirrored at once; others wait their turn.</summary>
    public int MaxConcurrentBroadcasts { get; set; } = 2;

    /// <summary>Segments fetched at once per broadcast.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>Attempts per segment (fetch then verify).</summary>
    public int Tries { get; set; } = 5;

    /// <summary>At start, broadcasts that began within this window are caught up (if not mirrored already).</summary>
    public TimeSpan LookBack { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Catch-up runs again this long after the queue was subscribed: SQS applies a queue policy within 60 s (<see cref="CatchUpSchedule"/>).</summary>
    public TimeSpan CatchUpFirstRerun { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>And again this long after the queue was subscribed: SNS applies a filter policy within 15 minutes.</summary>
    public TimeSpan CatchUpSecondRerun { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Then catch-up runs every this long, listing each channel once.</summary>
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The health file says <c>failing</c> once receiving notifications has failed for this long without a success.</summary>
    public TimeSpan ReceiveFailingAfter { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Subscribe with a filter policy on the channel prefixes (uses one of SNS's 200 a topic); default none.</summary>
    public bool FilterPolicy { get; set; }

    /// <summary>Least time between two SQS receives while notifications flow.</summary>
    public TimeSpan ReceiveInterval { get; set; } = S3Fanout.Shared.Notifications.NotificationBudget.DefaultReceiveInterval;

    /// <summary>The limit of one attempt of a call without a streamed body (a manifest read, a listing).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A segment download that moves no byte for this long is abandoned and fetched again.</summary>
    public TimeSpan TransferTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long SIGTERM waits for broadcasts in flight to checkpoint and the queue to be deleted.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// This instance's identity, whose stable hash picks the read replica it reads of broadcasts that have them; default
    /// "host:StateDirectory", one per instance and the same across restarts.
    /// </summary>
    public string? Identity { get; set; }

    /// <summary>Endpoint override (LocalStack, MinIO); else --endpoint-url or AWS_ENDPOINT_URL.</summary>
    public string? EndpointUrl { get; set; }

    public string? Region { get; set; }

    /// <summary>A JSON file rewritten every few seconds with the service's state, for monitoring; none when empty.</summary>
    public string? HealthFile { get; set; }

    /// <summary>OTLP endpoint (e.g. http://collector:4318) to export the S3Fanout metrics to; none when empty.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = "http/protobuf";
}

internal sealed class ChannelOptions
{
    /// <summary><c>s3://bucket/prefix/</c>: every broadcast whose name starts with the prefix.</summary>
    public string Url { get; set; } = "";

    /// <summary>SNS topic name or ARN; default <c>s3fanout-&lt;bucket&gt;</c>.</summary>
    public string? Topic { get; set; }

    public SinkOptions Sink { get; set; } = new();
}

internal sealed class SinkOptions
{
    /// <summary><c>directory</c>, <c>command</c> or <c>stdout</c>, in any case; read it as <see cref="Kind"/>.</summary>
    /// <remarks>Bound as text so that a wrong value gets the validator's message, not the binder's.</remarks>
    public string Type { get; set; } = "";

    /// <summary><see cref="Type"/> parsed; null when it is missing or unknown, which the validator reports.</summary>
    public SinkType? Kind => Enum.GetValues<SinkType>().Cast<SinkType?>()
        .FirstOrDefault(k => k.ToString()!.Equals(Type, StringComparison.OrdinalIgnoreCase));

    /// <summary>directory: where files appear, named after the broadcast below the channel prefix.</summary>
    public string? Path { get; set; }

    /// <summary>command: run by /bin/sh for each broadcast, with the stream on its stdin.</summary>
    public string? Command { get; set; }

    /// <summary>command: how long it may run on after the end of its stdin; then it and its children are killed and the broadcast fails.</summary>
    public TimeSpan ExitTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
