namespace S3Fanout.Shared.Aws;

/// <summary>
/// Cancels a transfer that makes no progress: its <see cref="Token"/> fires once <see cref="IdleTimeout"/> passes
/// without a <see cref="Progress"/> call. Streamed request and response bodies report every read, so a slow transfer
/// goes on while a stalled one (a body that stops halfway, an answer that never comes) is abandoned and retried.
/// </summary>
internal sealed class ProgressWatchdog : IDisposable
{
    private readonly CancellationTokenSource _idle;
    private readonly CancellationTokenSource _linked;

    public ProgressWatchdog(TimeSpan idleTimeout, TimeProvider time, CancellationToken outer)
    {
        IdleTimeout = idleTimeout;
        _idle = new CancellationTokenSource(idleTimeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(outer, _idle.Token);
    }

    public TimeSpan IdleTimeout { get; }

    /// <summary>Cancelled by the caller's token or by the idle timeout.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>True when the idle timeout, not the caller, cancelled the transfer.</summary>
    public bool Stalled => _idle.IsCancellationRequested;

    /// <summary>Some bytes moved: the idle clock starts again.</summary>
    public void Progress()
    {
        if (!_idle.IsCancellationRequested)
        {
            // CancelAfter on a source that has not fired yet replaces its timer.
            _idle.CancelAfter(IdleTimeout);
        }
    }

    /// <summary>
    /// Runs one attempt of a transfer under a new watchdog; the attempt reports progress to it. When the watchdog, not
    /// the caller, cut the attempt short, the failure becomes a <see cref="TimeoutException"/> (retryable) naming
    /// <paramref name="what"/>.
    /// </summary>
    public static async Task<T> RunAsync<T>(TimeSpan idleTimeout, TimeProvider time, string what, Func<ProgressWatchdog, Task<T>> attempt, CancellationToken ct)
    {
        using var watchdog = new ProgressWatchdog(idleTimeout, time, ct);
        try
        {
            return await attempt(watchdog).ConfigureAwait(false);
        }
        catch (Exception e) when (watchdog.Explain(e, what) is TimeoutException stalled)
        {
            throw stalled;
        }
    }

    /// <inheritdoc cref="RunAsync{T}"/>
    public static Task RunAsync(TimeSpan idleTimeout, TimeProvider time, string what, Func<ProgressWatchdog, Task> attempt, CancellationToken ct) =>
        RunAsync(idleTimeout, time, what, async watchdog =>
        {
            await attempt(watchdog).ConfigureAwait(false);
            return true;
        }, ct);

    private Exception Explain(Exception e, string what) =>
        Stalled && e is OperationCanceledException or IOException or HttpRequestException or Amazon.Runtime.AmazonClientException
            ? new TimeoutException($"{what} moved no byte for {IdleTimeout.TotalSeconds:0.#} s", e)
            : e;

    public void Dispose()
    {
        _linked.Dispose();
        _idle.Dispose();
    }
}
