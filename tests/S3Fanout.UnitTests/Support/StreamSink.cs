using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.UnitTests.Support;

/// <summary>A sink over a stream that remembers whether the reader completed it.</summary>
internal sealed class StreamSink(Stream stream) : ISegmentSink
{
    public Stream? Stream => stream;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;
    public bool Completed { get; private set; }

    public Task CompleteAsync(CancellationToken ct)
    {
        Completed = true;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
