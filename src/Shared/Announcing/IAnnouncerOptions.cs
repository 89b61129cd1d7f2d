using S3Fanout.Shared.Notifications;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// What <see cref="BroadcastAnnouncer"/> needs to know of whoever announces a broadcast: the publisher
/// (<c>PublisherOptions</c>) or a relay (<c>RelayOptions</c>). Nothing else of either reaches it.
/// </summary>
internal interface IAnnouncerOptions
{
    /// <summary>The nominal segment size in MiB, written as s3pipe2's <c>segment_size</c>.</summary>
    long SegmentSizeMiB { get; }

    /// <summary>The nominal segment size in bytes (<c>segment_size_bytes</c>).</summary>
    long SegmentSizeBytes { get; }

    /// <summary>Where the <see cref="ChecksumSpool"/> keeps its file: -p DIR, or null for the system's temporary folder.</summary>
    string? StagingPath { get; }

    /// <summary>How subscribers are told (the manifest's <c>notify</c>).</summary>
    NotifyMode Notify { get; }

    TimeSpan HeartbeatInterval { get; }

    TimeSpan ManifestInterval { get; }

    /// <summary>The broadcast this one is a relay of (the manifest's <c>relayed_from</c>), or null for a publisher's own.</summary>
    string? RelayedFrom => null;

    /// <summary>Read replicas written of every segment (the manifest's <c>replicas</c>); a relay writes none.</summary>
    int Replicas => 0;

    /// <summary>How long segment notices are gathered into one message (see <see cref="NotificationCoalescer"/>).</summary>
    TimeSpan NotifyWindow { get; }
}
