using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Tracking;

/// <summary>
/// The watcher's clocks run on a fake time provider, moved one watcher tick at a time while the watcher is parked,
/// so "60 s of silence" takes no real time and every check sees exactly the time the test set.
/// </summary>
public sealed class BroadcastWatcherTests : IDisposable
{
    private static readonly string ManifestKey = KeyLayout.ManifestKey(Locations.Default.Prefix);

    private readonly SteppedTimeProvider _time = new();
    private readonly InMemoryS3 _s3;
    private readonly BroadcastTracker _tracker;
    private readonly FakeLogger<BroadcastWatcher> _log = new();
    private readonly CancellationTokenSource _stop = new();

    public BroadcastWatcherTests()
    {
        _s3 = new InMemoryS3(_time);
        _tracker = new BroadcastTracker(Locations.Default, _time, NullLogger<BroadcastTracker>.Instance);
    }

    private static SubscriberOptions Options(TimeSpan? wait = null, TimeSpan? stall = null) => new()
    {
        Location = Locations.Default,
        Wait = wait ?? TimeSpan.FromMinutes(10),
        StallTimeout = stall ?? TimeSpan.FromMinutes(10),
        PollInterval = TimeSpan.FromSeconds(5),
        FastPollInterval = TimeSpan.FromSeconds(1),
    };

    private void StoreManifest(BroadcastState state = BroadcastState.Open, string notify = "sns", int format = 1, string? abortReason = null) =>
        _s3.Store(ManifestKey, ManifestCodec.Format(new Manifest
        {
            SegmentSizeMb = 1,
            FormatVersion = format,
            State = state,
            Completed = state == BroadcastState.Complete,
            Notify = format == 0 ? null : notify,
            UpdatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            AbortReason = abortReason,
        }));

    /// <summary>Starts the watcher and returns once it is parked on its first tick.</summary>
    private async Task<Task> StartAsync(SubscriberOptions options, bool notificationsExpected = true, Func<bool>? joining = null)
    {
        var watcher = new BroadcastWatcher(_tracker, Stores.Manifests(_s3), options, () => notificationsExpected, _time, _log, joining);
        var run = watcher.RunAsync(_stop.Token);
        await _time.NextTimerAsync(run);
        return run;
    }

    /// <summary>Moves the clock <paramref name="duration"/> forward tick by tick; returns with the watcher parked again or ended.</summary>
    private async Task RunForAsync(Task run, TimeSpan duration)
    {
        for (var passed = TimeSpan.Zero; passed < duration; passed += BroadcastWatcher.Tick)
        {
            _time.Advance(BroadcastWatcher.Tick);
            if (!await _time.NextTimerAsync(run))
            {
                return;
            }
        }
    }

    private static async Task AssertFailedAsync(Task run, int exitCode, string? saying = null)
    {
        Assert.True(run.IsCompleted, "the watcher is still running");
        var e = await Assert.ThrowsAsync<FatalException>(() => run);
        Assert.Equal(exitCode, e.ExitCode);
        Assert.Contains(saying ?? "", e.Message, StringComparison.Ordinal);
    }

    private static void AssertRunning(Task run) =>
        Assert.False(run.IsCompleted, $"the watcher ended: {run.Exception?.InnerException?.Message}");

    private List<TimeSpan> GapsBetweenManifestReads() =>
        [.. _s3.Gets.Zip(_s3.Gets.Skip(1), (a, b) => b - a)];

    [Fact]
    public async Task WhenNoBroadcastAppearsWithinTheWait_WatcherFailsWithExit3()
    {
        var run = await StartAsync(Options(wait: TimeSpan.FromSeconds(30)));

        await RunForAsync(run, TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted, "the watcher gave up before --wait had passed");
        await RunForAsync(run, TimeSpan.FromSeconds(1));

        await AssertFailedAsync(run, ExitCodes.NotFound, "--wait");
    }

    [Fact]
    public async Task WhenTheBroadcastAppearsWithinTheWait_WatcherKeepsWatchingPastIt()
    {
        var run = await StartAsync(Options(wait: TimeSpan.FromSeconds(5)));
        await RunForAsync(run, TimeSpan.FromSeconds(3));
        StoreManifest();

        await RunForAsync(run, TimeSpan.FromSeconds(30));

        AssertRunning(run);
        Assert.True(_tracker.Exists);
    }

    [Fact]
    public async Task WhenNoHeartbeatForStallTimeout_WatcherFailsWithExit8()
    {
        StoreManifest();
        var run = await StartAsync(Options(stall: TimeSpan.FromSeconds(20)));
        await RunForAsync(run, TimeSpan.FromSeconds(1));
        Assert.True(_tracker.Exists);

        // The same manifest, read again and again, is no news: only the stall clock moves.
        await RunForAsync(run, TimeSpan.FromSeconds(20));
        Assert.False(run.IsCompleted, "the watcher gave up before --stall-timeout had passed");
        await RunForAsync(run, TimeSpan.FromSeconds(1));

        await AssertFailedAsync(run, ExitCodes.BroadcastFailed, "--stall-timeout");
    }

    [Fact]
    public async Task WhenHeartbeatsKeepComing_AnIdleBroadcastDoesNotStall()
    {
        StoreManifest();
        var run = await StartAsync(Options(stall: TimeSpan.FromSeconds(10)));

        for (var i = 0; i < 10; i++)
        {
            await RunForAsync(run, TimeSpan.FromSeconds(5));
            _tracker.Apply(new Heartbeat { Bucket = Locations.Default.Bucket, Broadcast = Locations.Default.Prefix, StoredSegments = 0 });
        }

        AssertRunning(run);
    }

    [Fact]
    public async Task WhenTheBroadcastIsComplete_SilenceIsNotAStall()
    {
        StoreManifest(BroadcastState.Complete);
        var run = await StartAsync(Options(stall: TimeSpan.FromSeconds(5)));

        await RunForAsync(run, TimeSpan.FromSeconds(30));

        AssertRunning(run);
        Assert.NotNull(_tracker.Final);
    }

    [Fact]
    public async Task WhenTheManifestSaysAborted_WatcherFailsWithExit8AndTheReason()
    {
        StoreManifest();
        var run = await StartAsync(Options());
        await RunForAsync(run, TimeSpan.FromSeconds(6));
        AssertRunning(run);

        StoreManifest(BroadcastState.Aborted, abortReason: "reading stdin failed");
        await RunForAsync(run, TimeSpan.FromSeconds(6));

        await AssertFailedAsync(run, ExitCodes.BroadcastFailed, "reading stdin failed");
    }

    [Theory]
    [InlineData(false, "sns", 1, 1)]
    [InlineData(true, "none", 1, 1)]
    [InlineData(true, null, 0, 1)]
    [InlineData(true, "sns", 1, 5)]
    [InlineData(true, "sqs", 1, 5)]
    public async Task WhenNothingIsHeard_TheManifestIsReadFastWithoutNotificationsAndSlowWithThem(
        bool notificationsExpected, string? notify, int format, int expectedSeconds)
    {
        StoreManifest(notify: notify ?? "", format: format);
        var run = await StartAsync(Options(), notificationsExpected);

        await RunForAsync(run, TimeSpan.FromSeconds(16));

        var gaps = GapsBetweenManifestReads();
        Assert.True(gaps.Count >= 2, $"only {_s3.Gets.Count} manifest reads in 16 s");
        Assert.All(gaps, gap => Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), gap));
    }

    [Fact]
    public async Task WhenTheBroadcastDoesNotExistYetAndNotificationsListen_ManifestReadsBackOffToTenToTwentySeconds()
    {
        var run = await StartAsync(Options(), notificationsExpected: true);

        await RunForAsync(run, TimeSpan.FromMinutes(5));

        // 1 s, then doubling with equal jitter up to one long poll (NotificationBudget.WaitingPollCap): the first
        // notification ends the wait at once, so the manifest is only the net. Every second would be 300 reads.
        var gaps = GapsBetweenManifestReads();
        Assert.All(gaps, gap => Assert.InRange(gap, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20) + BroadcastWatcher.Tick));
        Assert.All(gaps.Skip(5), gap => Assert.InRange(gap, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20) + BroadcastWatcher.Tick));
        Assert.InRange(_s3.Gets.Count, 5 * 60 / 20, 5 + (5 * 60 / 10));
        AssertRunning(run);
    }

    [Fact]
    public async Task WhenTheBroadcastDoesNotExistYetWithoutNotifications_ManifestReadsBackOffToAtMostFiveSeconds_AndFindItWithin()
    {
        var run = await StartAsync(Options(), notificationsExpected: false);

        await RunForAsync(run, TimeSpan.FromMinutes(1));
        var gaps = GapsBetweenManifestReads();
        Assert.All(gaps, gap => Assert.InRange(gap, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5) + BroadcastWatcher.Tick));
        Assert.All(gaps.Skip(3), gap => Assert.InRange(gap, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5) + BroadcastWatcher.Tick));
        Assert.InRange(_s3.Gets.Count, 60 / 5, 4 + (60 / 2.5));

        // --notify none: a broadcast that begins now is found within the cap (NotificationBudget.WaitingPollCapWithoutNotifications).
        StoreManifest(notify: "none");
        await RunForAsync(run, TimeSpan.FromSeconds(5) + BroadcastWatcher.Tick);
        Assert.True(_tracker.Exists, "the broadcast was not found within 5 s of its manifest");
    }

    [Fact]
    public async Task WhenTheWaitRunsOutBetweenTwoBackedOffReads_TheManifestIsReadOnceMoreBeforeGivingUp()
    {
        var run = await StartAsync(Options(wait: TimeSpan.FromSeconds(30)), notificationsExpected: true);
        await RunForAsync(run, TimeSpan.FromSeconds(30) - BroadcastWatcher.Tick);
        var last = _s3.Gets.Last();
        StoreManifest();

        await RunForAsync(run, TimeSpan.FromSeconds(1));

        Assert.True(_s3.Gets.Last() > last, "no last read at the end of --wait");
        Assert.True(_tracker.Exists, "the broadcast stored just before the end of --wait was not found");
        AssertRunning(run);
    }

    [Fact]
    public async Task WhileTheSubscriptionIsJoining_ManifestReadsBackOffToFiveToTenSeconds_ThenAreFastAgainOnceJoinedAndBegun()
    {
        var joining = true;
        var run = await StartAsync(Options(), notificationsExpected: false, joining: () => joining);

        await RunForAsync(run, TimeSpan.FromMinutes(2));
        var gaps = GapsBetweenManifestReads();
        var whileJoining = _s3.Gets.Count;

        // 1 s, then growing with equal jitter to 5-10 s (NotificationBudget.JoiningPollCap): 10,000 joining subscribers
        // stay under S3's ~5,500 GET/s on the one manifest key. Every second would be 120 reads.
        Assert.InRange(whileJoining, 10, 120 / 4);
        Assert.All(gaps.Skip(6), gap => Assert.InRange(gap, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10) + BroadcastWatcher.Tick));
        joining = false;
        StoreManifest();
        // Joined, not begun: the reads keep backing off (at most the 10 s already drawn, then 2.5-5 s without notifications).
        await RunForAsync(run, TimeSpan.FromSeconds(10) + BroadcastWatcher.Tick);
        Assert.True(_tracker.Exists, "joined: a broadcast that began was not found within the backoff");
        var afterJoin = _s3.Gets.Count;
        await RunForAsync(run, TimeSpan.FromSeconds(10));
        Assert.InRange(_s3.Gets.Count - afterJoin, 9, 11); // joined and begun: read every second again (no notifications)
    }

    [Fact]
    public async Task WhenNotificationsKeepArriving_TheManifestIsNotRead()
    {
        StoreManifest();
        var run = await StartAsync(Options(), notificationsExpected: true);
        await RunForAsync(run, TimeSpan.FromSeconds(1));
        var reads = _s3.Gets.Count;

        for (var i = 0; i < 20; i++)
        {
            _tracker.NoteNews();
            await RunForAsync(run, TimeSpan.FromSeconds(1));
        }

        Assert.Equal(reads, _s3.Gets.Count);
    }

    [Fact]
    public async Task WhenReadingTheManifestFails_ItIsLoggedAndReadAgainAtTheNextInterval()
    {
        StoreManifest();
        _s3.GetFailures.Enqueue(InMemoryS3.ServerError());
        _s3.GetFailures.Enqueue(new HttpRequestException("Connection refused"));
        var run = await StartAsync(Options(), notificationsExpected: false);

        await RunForAsync(run, TimeSpan.FromSeconds(2));
        AssertRunning(run);
        Assert.False(_tracker.Exists);
        var warnings = _log.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("internal error", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("Connection refused", warnings[1].Message, StringComparison.Ordinal);

        await RunForAsync(run, TimeSpan.FromSeconds(1));
        Assert.Equal(3, _s3.Gets.Count);
        Assert.True(_tracker.Exists);
        AssertRunning(run);
    }

    [Fact]
    public async Task WhenTheManifestIsMalformed_WatcherFailsWithExit7()
    {
        _s3.Store(ManifestKey, "[s3pipe2]\ncompleted = perhaps\n");
        var run = await StartAsync(Options());

        await RunForAsync(run, TimeSpan.FromSeconds(2));

        await AssertFailedAsync(run, ExitCodes.Integrity);
    }

    [Fact]
    public async Task WhenCancelled_WatcherStopsWithOperationCanceled()
    {
        var run = await StartAsync(Options());
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Within("the watcher to stop"));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _tracker.Dispose();
        _s3.Dispose();
    }
}
