using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fleet.Sinks;

/// <summary>Where one mirrored broadcast goes.</summary>
internal interface IMirrorSink : IAsyncDisposable
{
    Stream Stream { get; }

    /// <summary>Where a resumed sink stands; null to start at segment 1.</summary>
    ResumePoint? Resume { get; }

    /// <summary>Records progress after each segment; null when the sink cannot be resumed.</summary>
    CheckpointAsync? Checkpoint { get; }

    /// <summary>Called once the stream verified: present the result (rename the file, let the command finish).</summary>
    Task CompleteAsync(CancellationToken ct);
}
