using Microsoft.Extensions.Logging;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// The notification side of every announcer, publisher and relay alike: the announcer sends into
/// <see cref="Input"/>, the <see cref="NotificationCoalescer"/> gathers segment notices over the window and hands them
/// to the <see cref="NotificationDispatcher"/>, which sends them beside the pipeline. Both run from construction;
/// <see cref="DisposeAsync"/> sends what the coalescer holds and lets the dispatcher drain for at most
/// <see cref="NotificationDispatcher.EndDrain"/>.
/// </summary>
internal sealed class NotificationOutlet : IAsyncDisposable
{
    private readonly NotificationCoalescer _coalescer;
    private readonly NotificationDispatcher _dispatcher;
    // Not linked to the run's token: after Ctrl-C the aborted notification still goes out, within the drain deadline.
    private readonly CancellationTokenSource _stopCoalescing = new();
    private readonly CancellationTokenSource _stopDispatching = new();
    private readonly Task _coalescing;
    private readonly Task _dispatching;

    public NotificationOutlet(INotificationSink sink, TimeSpan window, TimeProvider time, ILoggerFactory loggers)
    {
        _dispatcher = new NotificationDispatcher(sink, time, loggers.CreateLogger<NotificationDispatcher>());
        _coalescer = new NotificationCoalescer(_dispatcher, window, time);
        _dispatching = Task.Run(() => _dispatcher.RunAsync(_stopDispatching.Token), CancellationToken.None);
        _coalescing = Task.Run(() => _coalescer.RunAsync(_stopCoalescing.Token), CancellationToken.None);
    }

    /// <summary>Where the announcer sends; it never waits on SNS or SQS.</summary>
    public INotificationSink Input => _coalescer;

    public async ValueTask DisposeAsync()
    {
        await _coalescer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        await _stopCoalescing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _coalescing.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _dispatcher.DrainAsync(_dispatching, _stopDispatching, NotificationDispatcher.EndDrain).ConfigureAwait(false);
        _coalescer.Dispose();
        _stopCoalescing.Dispose();
        _stopDispatching.Dispose();
    }
}
