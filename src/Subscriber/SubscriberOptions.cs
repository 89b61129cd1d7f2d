using S3Fanout.Shared;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber;

/// <summary>
/// Everything a subscriber was asked to do, checked before any AWS call. Each value's own range is checked where it
/// is parsed (<c>CliOptions</c>, or the service's configuration); <see cref="Validate"/> checks the rules that span
/// several values or the file system.
/// </summary>
internal sealed record SubscriberOptions
{
    public required BroadcastLocation Location { get; init; }
    public int Workers { get; init; } = 4;
    public int Tries { get; init; } = 5;
    public string? StagingPath { get; init; }
    public string? OutputFile { get; init; }
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long without news before the manifest is read, while notifications are expected.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Manifest polling interval when there are no notifications (--notify none, s3pipe2 archives, waiting to start).</summary>
    public TimeSpan FastPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public NotifyMode Notify { get; init; } = NotifyMode.Auto;
    public string? Topic { get; init; }
    /// <summary>--filter-policy: subscribe with a filter policy on the broadcast (uses one of SNS's 200 a topic).</summary>
    public bool FilterPolicy { get; init; }
    /// <summary>--receive-interval: least time between two SQS receives while notifications flow.</summary>
    public TimeSpan ReceiveInterval { get; init; } = NotificationBudget.DefaultReceiveInterval;
    /// <summary>With <see cref="OutputFile"/>: continue an interrupted FILE.partial.</summary>
    public bool Resume { get; init; }
    /// <summary>The limit of one attempt of a call without a streamed body (a manifest read, a listing).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A segment download that moves no byte for this long is abandoned and tried again.</summary>
    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>--identity: whose stable hash picks the read replica this subscriber reads (<see cref="ReplicaChoice"/>).</summary>
    public string Identity { get; init; } = ReplicaChoice.DefaultIdentity;
    /// <summary>--progress: show progress on stderr even when it is not a terminal.</summary>
    public bool Progress { get; init; }

    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new UsageException(message);
            }
        }
        Check(OutputFile is null || !Directory.Exists(OutputFile), $"-o '{OutputFile}' is a directory");
        Check(!Resume || OutputFile is not null, "--resume needs -o FILE (a pipe cannot be resumed)");
    }
}
