using S3Fanout.Shared;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Publisher;

/// <summary>
/// Everything the publisher was asked to do, checked before any AWS call. Each value's own range is checked where it
/// is parsed (<c>CliOptions</c>); <see cref="Validate"/> checks the rules that span several values.
/// </summary>
internal sealed record PublisherOptions : IAnnouncerOptions
{
    public required BroadcastLocation Location { get; init; }
    public long SegmentSizeMiB { get; init; } = 8;
    public int Workers { get; init; } = 4;
    public int Tries { get; init; } = 5;
    public int ReadBufferBytes { get; init; } = 1024 * 1024;
    public string? StagingPath { get; init; }
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan ManifestInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>--notify-window: segment notices sealed within it go out as one message; zero sends one per segment.</summary>
    public TimeSpan NotifyWindow { get; init; } = NotificationBudget.DefaultNotifyWindow;
    public NotifyMode Notify { get; init; } = NotifyMode.Sns;
    public string? Topic { get; init; }
    public bool Force { get; init; }
    /// <summary>--assemble: the object the broadcast is assembled into once it completes, or null.</summary>
    public BroadcastLocation? AssembleTo { get; init; }
    /// <summary>The encryption asked for on every object the publisher writes (--sse, --sse-kms-key-id), or null.</summary>
    public SseSettings? Sse { get; init; }
    /// <summary>True over HTTPS: segments are sent with UNSIGNED-PAYLOAD (S3 allows it only over TLS).</summary>
    public bool UnsignedPayload { get; init; }
    /// <summary>The limit of one attempt of a call without a streamed body (a manifest write, a listing).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A segment upload that moves no byte and gets no answer for this long is abandoned and tried again.</summary>
    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Read replicas written of every segment besides the primary (--replicas), 0..<see cref="KeyLayout.MaxReplicas"/>.</summary>
    public int Replicas { get; init; }

    public long SegmentSizeBytes => SegmentSizeMiB * 1024 * 1024;

    /// <summary>Whether this run's PUTs carry S3 conditional writes; one state for the whole run (see <see cref="ConditionalWrites"/>).</summary>
    public ConditionalWrites? Conditions { get; init; }

    /// <summary>--checksum: CRC-64/NVME (default) or Content-MD5 on every PUT; one state for the whole run (see <see cref="WireChecksum"/>).</summary>
    public WireChecksum? Checksum { get; init; }

    /// <summary>How segments, <c>.manifest</c> and <c>.checksums</c> are PUT: all alike.</summary>
    public PutSettings Put => new() { Sse = Sse, UnsignedPayload = UnsignedPayload, Conditions = Conditions, Checksum = Checksum };

    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new UsageException(message);
            }
        }
        Check(SegmentSizeBytes <= 2L * 1024 * 1024 * 1024 || StagingPath is not null || Workers <= 8,
            "segments over 2 GiB with more than 8 workers need -p DIR (staging on disk) to bound memory");
        Check(Notify != NotifyMode.None || Topic is null, "--topic makes no sense with --notify none");
    }
}
