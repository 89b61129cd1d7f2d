namespace S3Fanout.UnitTests.Sns;

/// <summary>Fires once on the thread pool, never inline, so the caller has finished creating it first.</summary>
internal sealed class ImmediateTimer : ITimer
{
    public ImmediateTimer(TimerCallback callback, object? state) =>
        ThreadPool.QueueUserWorkItem(_ => callback(state));

    public bool Change(TimeSpan dueTime, TimeSpan period) => true;

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
