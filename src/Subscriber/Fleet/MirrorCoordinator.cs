using System.Threading.Channels;
using Amazon.S3.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Decides which broadcasts to mirror and runs them, at most <see cref="FleetOptions.MaxConcurrentBroadcasts"/> at once.
/// New broadcasts come from notifications; at start, broadcasts within <see cref="FleetOptions.LookBack"/> that the
/// state store does not record as done are caught up. A broadcast is never mirrored twice.
/// </summary>
internal sealed class MirrorCoordinator(FleetAws aws, StateStore states, IOptions<FleetOptions> options, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<MirrorCoordinator>();
    private readonly object _gate = new();
    private readonly Dictionary<string, MirrorJob> _jobs = [];
    private readonly Channel<MirrorJob> _queue = Channel.CreateUnbounded<MirrorJob>();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>Called once the queue is subscribed, so catch-up cannot miss a broadcast that starts meanwhile.</summary>
    public void ListenerReady() => _listening.TrySetResult();

    /// <summary>Routes a notification to its broadcast's job, starting one for a broadcast not seen before.</summary>
    public bool OnNotification(Notification notification)
    {
        var channel = Channels.FirstOrDefault(c => c.Address.Contains(notification.Bucket, notification.Broadcast));
        if (channel.Address is null)
        {
            return false;
        }
        var id = StateStore.Id(notification.Bucket, notification.Broadcast);
        lock (_gate)
        {
            if (_jobs.TryGetValue(id, out var running))
            {
                running.Tracker.Apply(notification);
                return true;
            }
            var state = states.Load(id);
            // Finished and failed broadcasts start again only when a new run of them begins; late messages are ignored.
            var startsNew = notification is BroadcastBegan || (state is null && notification is SegmentReady or EndOfStream);
            if (!startsNew || (state?.Status == StateStore.Done && notification is not BroadcastBegan))
            {
                return true;
            }
            if (!BroadcastLocation.TryParse($"s3://{notification.Bucket}/{notification.Broadcast}", out var location, out var error))
            {
                _logger.LogError("Ignoring broadcast {Broadcast} in {Bucket}: {Error}", notification.Broadcast, notification.Bucket, error);
                return true;
            }
            var job = Schedule(channel, location, id);
            job?.Tracker.Apply(notification);
        }
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var max = options.Value.MaxConcurrentBroadcasts;
        _logger.LogInformation("Mirroring {Channels} channel(s), up to {Max} broadcasts at once", Channels.Count, max);
        await _listening.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        await CatchUpAsync(stoppingToken).ConfigureAwait(false);

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
                            _jobs.Remove(StateStore.Id(job.Tracker.Location.Bucket, job.Tracker.Location.Prefix));
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

    private MirrorJob? Schedule((ChannelAddress Address, ChannelOptions Options) channel, BroadcastLocation location, string id)
    {
        if (_jobs.ContainsKey(id))
        {
            return null;
        }
        var tracker = new BroadcastTracker(location, TimeProvider.System, loggers.CreateLogger<BroadcastTracker>());
        var job = new MirrorJob(channel.Address, channel.Options, tracker, id, aws, states, options.Value, loggers);
        _jobs[id] = job;
        _queue.Writer.TryWrite(job);
        _logger.LogInformation("Queued {Url} for mirroring", location);
        return job;
    }

    /// <summary>Finds broadcasts whose manifest changed within the look-back window and that are not done yet.</summary>
    private async Task CatchUpAsync(CancellationToken ct)
    {
        var since = DateTime.UtcNow - options.Value.LookBack;
        var queued = _caughtUp;
        foreach (var channel in Channels)
        {
            try
            {
                string? token = null;
                do
                {
                    var page = await aws.Connection.S3.ListObjectsV2Async(new ListObjectsV2Request
                    {
                        BucketName = channel.Address.Bucket,
                        Prefix = channel.Address.Prefix,
                        ContinuationToken = token,
                    }, ct).ConfigureAwait(false);
                    foreach (var obj in page.S3Objects ?? [])
                    {
                        if (obj.Key.EndsWith("/" + KeyLayout.ManifestName, StringComparison.Ordinal) && obj.LastModified?.ToUniversalTime() >= since)
                        {
                            ConsiderForCatchUp(channel, obj.Key[..^(KeyLayout.ManifestName.Length + 1)]);
                        }
                    }
                    token = page.IsTruncated == true ? page.NextContinuationToken : null;
                }
                while (token is not null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("Catching up {Channel} failed: {Error}", channel.Address, AwsErrors.Describe(e));
            }
        }
        _logger.LogInformation("Catch-up done: {Count} broadcast(s) queued", _caughtUp - queued);
    }

    private int _caughtUp;

    private void ConsiderForCatchUp((ChannelAddress Address, ChannelOptions Options) channel, string broadcast)
    {
        if (!channel.Address.Contains(channel.Address.Bucket, broadcast)
            || !BroadcastLocation.TryParse($"s3://{channel.Address.Bucket}/{broadcast}", out var location, out var error))
        {
            _logger.LogWarning("Skipping {Broadcast} in {Bucket} during catch-up: {Error}", broadcast, channel.Address.Bucket, "not a valid broadcast name");
            return;
        }
        var id = StateStore.Id(location.Bucket, location.Prefix);
        var state = states.Load(id);
        if (state?.Status == StateStore.Done)
        {
            _logger.LogDebug("{Url} was mirrored already", location);
            return;
        }
        lock (_gate)
        {
            if (Schedule(channel, location, id) is not null)
            {
                _caughtUp++;
                _logger.LogInformation("Catching up {Url} ({State})", location, state?.Status ?? "new");
            }
        }
    }
}
