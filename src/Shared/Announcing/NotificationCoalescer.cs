using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// Gathers the segment-ready notices sealed within one window (<c>--notify-window</c>) into one <see cref="SegmentsReady"/>
/// message, between the announcer and the <see cref="NotificationDispatcher"/>. A segment sealed when no segment message
/// went out for a whole window goes at once, as a plain <see cref="SegmentReady"/> (a slow stream pays no latency);
/// otherwise it waits for the window's end. So segment messages go out at most once a window (or at once when
/// <see cref="SegmentsReady.MaxSegments"/> are gathered), whatever the segment rate: every subscriber of the channel then
/// receives at most 1/window segment messages a second, plus the heartbeats of an idle publisher
/// (see <see cref="NotificationBudget"/>). Any other notification first sends the segments gathered before it, so an
/// end-of-stream never overtakes the last segments. A zero window passes everything straight on.
/// </summary>
internal sealed class NotificationCoalescer(INotificationSink next, TimeSpan window, TimeProvider time) : INotificationSink, IDisposable
{
    // One sender at a time (the announcer's sends and the window's timer): what is gathered goes out exactly once, in order.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly AsyncSignal _wake = new();
    private readonly List<SegmentReady> _pending = [];
    private long _lastSegmentsSentAt;
    private bool _sentAny;

    public string? Target => next.Target;

    public async Task SendAsync(Notification notification, CancellationToken ct)
    {
        if (window <= TimeSpan.Zero)
        {
            await next.SendAsync(notification, ct).ConfigureAwait(false);
            return;
        }
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (notification is SegmentReady segment)
            {
                _pending.Add(segment);
                if (_pending.Count >= SegmentsReady.MaxSegments || (_pending.Count == 1 && WindowPassed()))
                {
                    await SendPendingAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    _wake.Set();
                }
                return;
            }
            await SendPendingAsync(ct).ConfigureAwait(false);
            await next.SendAsync(notification, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends what is gathered at the end of each window, until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (true)
        {
            await _wake.WaitAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
            var left = window - time.GetElapsedTime(_lastSegmentsSentAt);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, time, ct).ConfigureAwait(false);
            }
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (_pending.Count > 0 && WindowPassed())
                {
                    await SendPendingAsync(ct).ConfigureAwait(false);
                }
                else if (_pending.Count > 0)
                {
                    _wake.Set(); // a full message went out meanwhile and started a new window
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Sends whatever is gathered now (the end of a broadcast).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await SendPendingAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _wake.Dispose();
    }

    private bool WindowPassed() => !_sentAny || time.GetElapsedTime(_lastSegmentsSentAt) >= window;

    /// <summary>Under the gate: one message for what is gathered, a plain segment notice when it is one segment.</summary>
    private async Task SendPendingAsync(CancellationToken ct)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        Notification message = _pending.Count == 1
            ? _pending[0]
            : new SegmentsReady
            {
                Bucket = _pending[0].Bucket,
                Broadcast = _pending[0].Broadcast,
                Segments = _pending.Select(SegmentEntry.From).ToList(),
                SentAt = time.GetUtcNow(),
            };
        _pending.Clear();
        _sentAny = true;
        _lastSegmentsSentAt = time.GetTimestamp();
        await next.SendAsync(message, ct).ConfigureAwait(false);
    }
}
