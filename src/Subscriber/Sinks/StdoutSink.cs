using Microsoft.Win32.SafeHandles;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>The service's stdout, for a single-broadcast pipeline (logs go to stderr). Not resumable.</summary>
internal sealed class StdoutSink : ISegmentSink
{
    private readonly FileStream _stdout = new(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    public Stream? Stream => _stdout;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;

    public Task CompleteAsync(CancellationToken ct) => _stdout.FlushAsync(ct);

    public ValueTask DisposeAsync() => _stdout.DisposeAsync();
}
