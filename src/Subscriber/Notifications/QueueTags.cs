namespace S3Fanout.Subscriber.Notifications;

/// <summary>Tags on every subscriber queue. <see cref="Alive"/> is refreshed while its owner runs.</summary>
internal static class QueueTags
{
    public const string Bucket = "s3fanout:bucket";
    public const string Watching = "s3fanout:watching";
    public const string Host = "s3fanout:host";
    public const string Pid = "s3fanout:pid";
    public const string Created = "s3fanout:created";
    public const string Alive = "s3fanout:alive";

    /// <summary>How often a running subscriber refreshes <see cref="Alive"/>.</summary>
    public static readonly TimeSpan AliveInterval = TimeSpan.FromMinutes(5);
}
