using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>Where the reader delivers a broadcast: stdout, a file, a directory's file, a command, or nowhere (verify).</summary>
internal interface ISegmentSink : IAsyncDisposable
{
    /// <summary>Where the verified bytes are written, in order; null writes them nowhere.</summary>
    Stream? Stream { get; }

    /// <summary>Where a resumed sink stands; null to start at segment 1.</summary>
    ResumePoint? Resume { get; }

    /// <summary>Records progress after each segment; null when the sink cannot be resumed.</summary>
    CheckpointAsync? Checkpoint { get; }

    /// <summary>Called once the stream verified: present the result (rename the file, let the command finish).</summary>
    Task CompleteAsync(CancellationToken ct);
}
