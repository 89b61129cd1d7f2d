namespace S3Fanout.Shared.Pipeline;

/// <summary>A coalescing wake-up: any number of <see cref="Set"/> calls wake one pending or next <see cref="WaitAsync"/>.</summary>
/// <remarks>
/// <c>_pending</c> keeps the semaphore's count at most 1 without the cost of a <see cref="SemaphoreFullException"/> per
/// extra Set. It is cleared as soon as a wait succeeds, before the caller re-checks its state, so a Set that races
/// the wake-up is never lost: either it releases the semaphore again, or its change is seen by that re-check.
/// </remarks>
internal sealed class AsyncSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);
    private int _pending;

    public void Set()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _semaphore.Release();
        }
    }

    /// <summary>True when signalled, false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var signalled = await _semaphore.WaitAsync(timeout, ct).ConfigureAwait(false);
        if (signalled)
        {
            Volatile.Write(ref _pending, 0);
        }
        return signalled;
    }

    public void Dispose() => _semaphore.Dispose();
}
