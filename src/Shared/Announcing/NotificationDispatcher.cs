using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// Keeps notifications off the data path. The announcer hands each one over without waiting (<see cref="SendAsync"/>);
/// <see cref="RunAsync"/> sends them one at a time to the real sink. A slow or silent SNS therefore never holds up a
/// segment, a manifest write or a heartbeat in the manifest: subscribers fall back to the manifest, and a lost
/// notification costs latency, never the broadcast.
/// <para>Bounded on every side: at most <see cref="Capacity"/> wait (the oldest is dropped to make room), one whose
/// turn comes more than <see cref="MaxLateness"/> after it was made is dropped (the manifest has long since said the
/// same), and at the end <see cref="DrainAsync"/> waits at most its deadline for the rest. Every drop is counted in
/// <c>s3fanout.notifications_dropped</c>. The first failure is logged once at Warning, later ones at Debug.</para>
/// </summary>
internal sealed class NotificationDispatcher(INotificationSink sink, TimeProvider time, ILogger<NotificationDispatcher> logger) : INotificationSink
{
    public const int Capacity = 4096;
    public static readonly TimeSpan MaxLateness = TimeSpan.FromSeconds(30);
    /// <summary>How long the end of a broadcast waits for notifications still queued (the manifest already says it all).</summary>
    public static readonly TimeSpan EndDrain = TimeSpan.FromSeconds(10);
    private const string FailingTemplate = "Notifications to {Target} are failing ({Error}); subscribers follow the manifest meanwhile";
    private const string UnsentTemplate = "Notifications to {Target} are failing: {Count} were still unsent {Deadline} after the end of the broadcast; subscribers follow the manifest";

    // DropOldest: the announcer never waits; when notifications back up, the oldest are the least useful.
    private readonly Channel<Notification> _pending = Channel.CreateBounded<Notification>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
        _ => Dropped("backlog"));
    private int _warned;
    private bool _failing;

    public string? Target => sink.Target;

    /// <summary>Queues the notification and returns at once.</summary>
    public Task SendAsync(Notification notification, CancellationToken ct)
    {
        _pending.Writer.TryWrite(notification);
        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        await foreach (var notification in _pending.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (time.GetUtcNow() - notification.SentAt > MaxLateness)
            {
                Dropped("late");
                continue;
            }
            try
            {
                await sink.SendAsync(notification, ct).ConfigureAwait(false);
                if (_failing)
                {
                    _failing = false;
                    logger.LogInformation("Notifications to {Target} are going out again", Target);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Dropped("failed");
                _failing = true;
                if (FirstWarning())
                {
                    logger.LogWarning(FailingTemplate, Target, AwsErrors.Describe(e));
                }
                else
                {
                    logger.LogDebug(FailingTemplate, Target, AwsErrors.Describe(e));
                }
            }
        }
    }

    /// <summary>
    /// After the last notification: lets the queue drain until <paramref name="deadline"/>, then gives up on what is
    /// left (subscribers have the complete manifest). Returns once <paramref name="running"/> (the <see cref="RunAsync"/>
    /// task) has ended; cancels it through <paramref name="stop"/> if it must.
    /// </summary>
    public async Task DrainAsync(Task running, CancellationTokenSource stop, TimeSpan deadline)
    {
        _pending.Writer.TryComplete();
        try
        {
            await running.WaitAsync(deadline, time).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
        }
        var left = _pending.Reader.Count + 1; // the one in flight
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        S3FanoutMetrics.NotificationsDropped.Add(left, new KeyValuePair<string, object?>("reason", "unsent"));
        if (FirstWarning())
        {
            logger.LogWarning(UnsentTemplate, Target, left, Durations.Format(deadline));
        }
        else
        {
            logger.LogDebug(UnsentTemplate, Target, left, Durations.Format(deadline));
        }
    }

    /// <summary>True the first time only: a failing service is reported once at Warning, then at Debug.</summary>
    private bool FirstWarning() => Interlocked.Exchange(ref _warned, 1) == 0;

    private static void Dropped(string reason) =>
        S3FanoutMetrics.NotificationsDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
