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

    /// <summary>Turns the cancellation this watchdog caused into a retryable timeout; anything else is left as it is.</summary>
    public Exception Explain(Exception e, string what) =>
        Stalled && e is OperationCanceledException or IOException or HttpRequestException or Amazon.Runtime.AmazonClientException
            ? new TimeoutException($"{what} moved no byte for {IdleTimeout.TotalSeconds:0.#} s", e)
            : e;

    public void Dispose()
    {
        _linked.Dispose();
        _idle.Dispose();
    }
}
