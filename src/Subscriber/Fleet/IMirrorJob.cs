using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The mirroring of one run of one broadcast, as <see cref="MirrorCoordinator"/> schedules and feeds it.</summary>
internal interface IMirrorJob
{
    /// <summary>The broadcast's <see cref="StateStore.Id"/>; the coordinator's key for this job.</summary>
    string Id { get; }

    /// <summary>Fed with the broadcast's notifications while the job is queued or running; disposed after it ends.</summary>
    BroadcastTracker Tracker { get; }

    /// <summary>Why the last run failed, for the health file.</summary>
    string? LastError { get; }

    /// <summary>Mirrors the broadcast and records the outcome in the state store; false when it failed.</summary>
    Task<bool> RunAsync(CancellationToken ct);
}
