using S3Fanout.Shared;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Relay;

/// <summary>
/// What one relay was asked to do: follow <see cref="Source"/> (as a subscriber follows it) and announce the copy at
/// <see cref="Destination"/> (as a publisher announces). The segment size is the source's, filled in once its manifest
/// is read.
/// </summary>
internal sealed record RelayOptions : IAnnouncerOptions
{
    /// <summary>How the source is followed: its location, --wait, --stall-timeout, --poll-interval, --from-notify, -t.</summary>
    public required SubscriberOptions Source { get; init; }
    public required BroadcastLocation Destination { get; init; }
    /// <summary>Copies in flight at once (-n).</summary>
    public int Workers { get; init; } = 4;
    public int Tries { get; init; } = 5;
    public long SegmentSizeMiB { get; init; }
    public long SegmentSizeBytes { get; init; }
    public string? StagingPath { get; init; }
    /// <summary>How the destination's subscribers are told (--notify), as for the publisher.</summary>
    public NotifyMode Notify { get; init; } = NotifyMode.Sns;
    public string? Topic { get; init; }
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Read replicas of every copied segment (--replicas), written from the copy as the publisher writes them.</summary>
    public int Replicas { get; init; }

    /// <summary>Segment notices of the copy are coalesced as the publisher's are, over the default window.</summary>
    public TimeSpan NotifyWindow { get; init; } = S3Fanout.Shared.Notifications.NotificationBudget.DefaultNotifyWindow;
    public TimeSpan ManifestInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A fallback download of a copy (endpoint without copy checksums) that moves no byte for this long is tried again.</summary>
    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Conditional writes on the destination (If-None-Match on its manifest and segments), one state per run.</summary>
    public ConditionalWrites? Conditions { get; init; }

    public string? RelayedFrom => Source.Location.ToString();

    /// <summary>--checksum: what the destination's PUTs carry, as for the publisher; one state per run.</summary>
    public WireChecksum? Checksum { get; init; }

    /// <summary>
    /// --sse, --sse-kms-key-id: the encryption asked for on every object the relay writes (each segment's copy, its
    /// replicas, <c>.manifest</c>, <c>.checksums</c>), or null for the destination bucket's default encryption.
    /// </summary>
    public SseSettings? Sse { get; init; }

    /// <summary>How the destination's <c>.manifest</c> and <c>.checksums</c> are PUT: as the publisher PUTs them.</summary>
    public PutSettings Put => new() { Sse = Sse, Conditions = Conditions, Checksum = Checksum };

    /// <summary>
    /// One CopyObject attempt's limit: --request-timeout per started GiB of the segment. S3 copies server-side, but a
    /// copy of up to 5 GiB may rightly take longer than one small request.
    /// </summary>
    public TimeSpan CopyTimeout(long size) => RequestTimeout * (1 + (size / (1L << 30)));

    public void Validate()
    {
        if (Destination == Source.Location)
        {
            throw new UsageException($"a relay cannot copy {Destination} onto itself; give another bucket or name");
        }
        if (Notify == NotifyMode.None && Topic is not null)
        {
            throw new UsageException("--topic makes no sense with --notify none");
        }
    }
}
