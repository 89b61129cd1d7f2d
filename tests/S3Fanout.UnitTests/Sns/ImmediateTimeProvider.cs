using System.Collections.Concurrent;

namespace S3Fanout.UnitTests.Sns;

/// <summary>A fixed clock whose timers fire at once, so backoff costs no test time but can still be inspected.</summary>
internal sealed class ImmediateTimeProvider(DateTimeOffset now) : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyList<TimeSpan> RequestedDelays => [.. _delays];

    public override DateTimeOffset GetUtcNow() => now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        return new ImmediateTimer(callback, state);
    }
}
