using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>Writes nothing anywhere: for <c>verify</c>, which only checks.</summary>
internal sealed class NullSink : ISegmentSink
{
    public static NullSink Instance { get; } = new();

    public Stream? Stream => null;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;

    public Task CompleteAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
