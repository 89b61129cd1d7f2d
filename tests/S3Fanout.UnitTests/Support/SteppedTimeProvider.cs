using Microsoft.Extensions.Time.Testing;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also says when the code under test has started waiting on it. A test moves
/// time only once a loop is parked on its next delay, so an advance can never land between two of the loop's steps.
/// </summary>
internal sealed class SteppedTimeProvider : FakeTimeProvider
{
    // Counts timers created and not yet waited for; each loop iteration of the code under test creates one.
    private readonly SemaphoreSlim _created = new(0);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Release();
        return timer;
    }

    /// <summary>
    /// Waits until the code under test creates its next timer (true) or <paramref name="run"/> ends (false).
    /// Throws when neither happens within <see cref="Deadlines.Generous"/>: the code is stuck on something else.
    /// </summary>
    public async Task<bool> NextTimerAsync(Task run)
    {
        using var stop = new CancellationTokenSource();
        var created = _created.WaitAsync(Deadlines.Generous, stop.Token);
        if (await Task.WhenAny(created, run) == created)
        {
            return await created ? true : throw new TimeoutException($"no timer was created and nothing ended within {Deadlines.Generous.TotalSeconds:0} s");
        }
        await stop.CancelAsync();
        return false;
    }
}
