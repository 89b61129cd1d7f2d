using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Decides which broadcasts to mirror and runs them, at most <see cref="FleetOptions.MaxConcurrentBroadcasts"/> at once.
/// New broadcasts come from notifications; at start, broadcasts within <see cref="FleetOptions.LookBack"/> that the
/// state store does not record as done are caught up. A broadcast is never mirrored twice.
/// </summary>
/// <remarks>
/// A broadcast is known by its normalized location (<see cref="StateStore.Id"/>), never by the raw name in a message:
/// anyone allowed to publish to a topic can send any name. <c>_gate</c> guards the job table, and a job's tracker is
/// fed only under it, so a tracker is never touched after its job left the table and disposed it.
/// </remarks>
internal sealed class MirrorCoordinator(
    BroadcastStore store, IMirrorJobFactory jobs, StateStore states, IOptions<FleetOptions> options, TimeProvider time, ILogger<MirrorCoordinator> logger)
    : BackgroundService
{
    private readonly ILogger _logger = logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, IMirrorJob> _jobs = [];
    private readonly Channel<IMirrorJob> _queue = Channel.CreateUnbounded<IMirrorJob>();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Written when a recreated queue is subscribed again; the re-run loop then catches up at once and starts its schedule over.
    private readonly Channel<bool> _resubscribed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lazy<IReadOnlyList<(ChannelAddress Address, ChannelOptions Options)>> _channels = new(() => options.Value.Channels
        .Select(c => (ChannelAddress.TryParse(c.Url, out var a, out _) ? a : throw new InvalidOperationException(c.Url), c))
        .ToList());

    public IReadOnlyList<(ChannelAddress Address, ChannelOptions Options)> Channels => _channels.Value;

    private int _active;
    private int _mirrored;
    private int _failed;
    private string? _lastError;

    /// <summary>What the health file reports.</summary>
    public FleetHealth Health()
    {
        lock (_gate)
        {
            var active = Volatile.Read(ref _active);
            return new FleetHealth(active, _jobs.Count - active, Volatile.Read(ref _mirrored), Volatile.Read(ref _failed), _lastError);
        }
    }

    /// <summary>
    /// Called once the queue is subscribed, so catch-up cannot miss a broadcast that starts meanwhile; called again when a
    /// deleted queue was recreated and subscribed, which catches up what was published while there was none.
    /// </summary>
    public void ListenerReady()
    {
        if (!_listening.TrySetResult())
        {
            _resubscribed.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// Routes a notification to its broadcast's job, starting one when it begins a run not mirrored yet. False when it
    /// is for no channel; a name that is no valid broadcast is logged and dropped.
    /// </summary>
    public bool OnNotification(Notification notification)
    {
        if (!BroadcastLocation.TryParse($"s3://{notification.Bucket}/{notification.Broadcast}", out var location, out var error))
        {
            _logger.LogWarning("Ignoring a {Type} notification: {Error}", NotificationCodec.TypeName(notification), error);
            return true;
        }
        var channel = Channels.FirstOrDefault(c => c.Address.Contains(location.Bucket, location.Prefix));
        if (channel.Address is null)
        {
            return false;
        }
        var id = StateStore.Id(location);
        lock (_gate)
        {
            if (_jobs.TryGetValue(id, out var running))
            {
                running.Tracker.Apply(notification);
            }
            else if (StartsRun(notification, location, states.Load(id)))
            {
                Schedule(channel, location, id)?.Tracker.Apply(notification);
            }
        }
        return true;
    }

    /// <summary>
    /// A begin starts a run unless that very run is recorded as done: SQS delivers at least once, so a begin can come
    /// twice. A segment or end starts a broadcast whose begin was missed; for a recorded one it is a late message.
    /// </summary>
    private bool StartsRun(Notification notification, BroadcastLocation location, MirrorRecord? record)
    {
        switch (notification)
        {
            // The publisher stamps its begin with the same clock reading it writes as the manifest's upload_began.
            case BroadcastBegan began when record is not null && record.IsDone(began.SentAt):
                _logger.LogDebug("Ignoring a repeated begin of {Url}: its run that began {UploadBegan} is mirrored already", location, began.SentAt);
                return false;
            case BroadcastBegan:
                return true;
            case SegmentReady or SegmentsReady or EndOfStream:
                return record is null;
            default:
                return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation("Mirroring {Channels} channel(s), up to {Max} broadcasts at once", Channels.Count, options.Value.MaxConcurrentBroadcasts);
        await _listening.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        await CatchUpAsync(rerun: false, stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(RunJobsAsync(stoppingToken), CatchUpAgainAsync(stoppingToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs catch-up again on <see cref="CatchUpSchedule"/>, and at once when the queue was subscribed anew: a broadcast
    /// whose notifications SNS dropped while the subscription's policies propagated is found by listing its channel.
    /// </summary>
    private async Task CatchUpAgainAsync(CancellationToken ct)
    {
        var schedule = new CatchUpSchedule(options.Value, time);
        try
        {
            for (var rerun = 1; ; rerun++)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var due = schedule.WaitAsync(rerun, wait.Token);
                var resubscribed = _resubscribed.Reader.WaitToReadAsync(ct).AsTask();
                if (await Task.WhenAny(due, resubscribed).ConfigureAwait(false) == resubscribed)
                {
                    await wait.CancelAsync().ConfigureAwait(false);
                    _resubscribed.Reader.TryRead(out _);
                    rerun = 0; // the new subscription's policies propagate anew: the schedule starts over
                }
                ct.ThrowIfCancellationRequested();
                await CatchUpAsync(rerun: true, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs queued jobs, at most <see cref="FleetOptions.MaxConcurrentBroadcasts"/> at once, until stopped.</summary>
    internal async Task RunJobsAsync(CancellationToken stoppingToken)
    {
        var max = options.Value.MaxConcurrentBroadcasts;
        using var slots = new SemaphoreSlim(max, max);
        var running = new List<Task>();
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    Interlocked.Increment(ref _active);
                    try
                    {
                        if (await job.RunAsync(stoppingToken).ConfigureAwait(false))
                        {
                            Interlocked.Increment(ref _mirrored);
                        }
                        else
                        {
                            Interlocked.Increment(ref _failed);
                            lock (_gate)
                            {
                                _lastError = job.LastError;
                            }
                        }
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                    }
                    finally
                    {
                        lock (_gate)
                        {
                            _jobs.Remove(job.Id);
                        }
                        Interlocked.Decrement(ref _active);
                        job.Tracker.Dispose();
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private IMirrorJob? Schedule((ChannelAddress Address, ChannelOptions Options) channel, BroadcastLocation location, string id)
    {
        if (_jobs.ContainsKey(id))
        {
            return null;
        }
        var job = jobs.Create(channel.Address, channel.Options, location, id);
        _jobs[id] = job;
        _queue.Writer.TryWrite(job);
        _logger.LogInformation("Queued {Url} for mirroring", location);
        return job;
    }

    /// <summary>
    /// Finds broadcasts whose manifest changed within the look-back window and that are not done yet. A
    /// <paramref name="rerun"/> queues only broadcasts the state store has no record of: one recorded as done or being
    /// mirrored is never mirrored twice, and one that failed waits for the next start.
    /// </summary>
    private async Task CatchUpAsync(bool rerun, CancellationToken ct)
    {
        var since = time.GetUtcNow().UtcDateTime - options.Value.LookBack;
        var queued = _caughtUp;
        foreach (var channel in Channels)
        {
            try
            {
                foreach (var found in await store.FindAsync(channel.Address.Bucket, channel.Address.Prefix, ct).ConfigureAwait(false))
                {
                    if (found.ManifestModified?.ToUniversalTime() >= since)
                    {
                        ConsiderForCatchUp(channel, found.Name, rerun);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("Catching up {Channel} failed: {Error}", channel.Address, AwsErrors.Describe(e));
            }
        }
        if (rerun)
        {
            _logger.LogInformation("Catch-up again: {Count} missed broadcast(s) queued", _caughtUp - queued);
        }
        else
        {
            _logger.LogInformation("Catch-up done: {Count} broadcast(s) queued", _caughtUp - queued);
        }
    }

    private int _caughtUp;

    private void ConsiderForCatchUp((ChannelAddress Address, ChannelOptions Options) channel, string broadcast, bool rerun)
    {
        if (!channel.Address.Contains(channel.Address.Bucket, broadcast)
            || !BroadcastLocation.TryParse($"s3://{channel.Address.Bucket}/{broadcast}", out var location, out var error))
        {
            _logger.LogWarning("Skipping {Broadcast} in {Bucket} during catch-up: {Error}", broadcast, channel.Address.Bucket, "not a valid broadcast name");
            return;
        }
        var id = StateStore.Id(location);
        // Under the gate: a job removes itself from the table under it only after recording its outcome, so the record
        // read here and the table agree, and a job that ended just now is not started again.
        lock (_gate)
        {
            var state = states.Load(id);
            if (state?.Status == MirrorStatus.Done || (rerun && state is not null))
            {
                _logger.LogDebug("{Url} was mirrored already ({State})", location, state.Status.ToString().ToLowerInvariant());
                return;
            }
            if (Schedule(channel, location, id) is not null)
            {
                _caughtUp++;
                _logger.LogInformation("Catching up {Url} ({State})", location, state?.Status.ToString().ToLowerInvariant() ?? "new");
            }
        }
    }
}
