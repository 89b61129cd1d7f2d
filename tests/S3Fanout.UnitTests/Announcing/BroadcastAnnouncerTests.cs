using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using S3Fanout.Publisher;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Announcing;

/// <summary>
/// What the publisher tells the world, and when. Time is a fake clock that moves only while the announcer is parked,
/// so "5 s of silence" is exact and costs nothing; the journal interleaves manifest writes and notifications.
/// </summary>
public sealed class BroadcastAnnouncerTests : IDisposable
{
    private const string TopicArn = "arn:aws:sns:us-east-1:000000000000:s3fanout";
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ManifestInterval = TimeSpan.FromSeconds(1);
    private static readonly string ManifestKey = KeyLayout.ManifestKey(Locations.Default.Prefix);
    private static readonly string Sha = new('a', 64);

    private readonly SteppedTimeProvider _time = new();
    private readonly ConcurrentQueue<string> _journal = new();
    private readonly InMemoryS3 _s3;
    private readonly RecordingNotificationSink _sink;
    private readonly Channel<SegmentInfo> _stored = Channel.CreateUnbounded<SegmentInfo>();
    private readonly FakeLogger<BroadcastAnnouncer> _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly BroadcastAnnouncer _announcer;

    public BroadcastAnnouncerTests()
    {
        _s3 = new InMemoryS3(_time, _journal);
        _sink = new RecordingNotificationSink(_journal);
        var options = new PublisherOptions
        {
            Location = Locations.Default,
            SegmentSizeMiB = 1,
            HeartbeatInterval = HeartbeatInterval,
            ManifestInterval = ManifestInterval,
        };
        _announcer = new BroadcastAnnouncer(
            _stored.Reader, Stores.Manifests(_s3), _sink, new StepRetry(1, NullLogger.Instance), options, _time, _log);
    }

    private static SegmentInfo Segment(long index) => new(index, (index - 1) * 10, 10, SegmentChecksum.Of([(byte)index]));

    private List<Manifest> Manifests() =>
        [.. _s3.Puts.Where(p => p.Key == ManifestKey).Select(p => ManifestCodec.Parse(p.Body))];

    private List<T> Sent<T>() => [.. _sink.Sent.OfType<T>()];

    /// <summary>Opens the broadcast and starts the announcer; returns once it is parked waiting for segments or time.</summary>
    private async Task<Task> StartAsync()
    {
        await _announcer.OpenAsync(TopicArn, CancellationToken.None);
        var run = _announcer.RunAsync(_stop.Token);
        await _time.NextTimerAsync(run);
        return run;
    }

    /// <summary>Hands one stored segment over and returns once the announcer has dealt with it and is parked again.</summary>
    private async Task StoreAsync(Task run, long index)
    {
        await _stored.Writer.WriteAsync(Segment(index));
        Assert.True(await _time.NextTimerAsync(run), $"the announcer ended: {run.Exception?.InnerException?.Message}");
    }

    /// <summary>Moves the clock; returns once the announcer has done whatever fell due and is parked again.</summary>
    private async Task AdvanceAsync(Task run, TimeSpan by, bool somethingFallsDue)
    {
        _time.Advance(by);
        if (somethingFallsDue)
        {
            Assert.True(await _time.NextTimerAsync(run), $"the announcer ended: {run.Exception?.InnerException?.Message}");
        }
    }

    [Fact]
    public async Task WhenABroadcastRunsToTheEnd_BeginSegmentsChecksumsManifestAndEndGoOutInThatOrder()
    {
        var run = await StartAsync();
        await StoreAsync(run, 1);
        await StoreAsync(run, 2);
        _stored.Writer.Complete();
        await run.Within("the announcer to finish");
        await _announcer.CompleteAsync(20, Sha, CancellationToken.None);

        Assert.Equal(
            ["put .manifest", "notify begin", "notify segment", "notify segment", "put .checksums", "put .manifest", "notify end"],
            _journal);
        var (open, complete) = (Manifests()[0], Manifests()[1]);
        Assert.Equal(BroadcastState.Open, open.State);
        Assert.Equal("sns", open.Notify);
        Assert.Equal(TopicArn, open.TopicArn);
        Assert.Equal(BroadcastState.Complete, complete.State);
        Assert.True(complete.Completed);
        Assert.Equal((2L, 20L, Sha), (complete.NumSegments, complete.TotalSize, complete.StreamSha256));
        Assert.Equal((2L, 20L), (complete.StoredSegments, complete.StoredBytes));
        Assert.Equal([Segment(1), Segment(2)], ChecksumIndexCodec.Parse(_s3.TryGet(KeyLayout.ChecksumsKey(Locations.Default.Prefix))!));
        Assert.Equal([1L, 2L], Sent<SegmentReady>().Select(s => s.Index));
        var end = Assert.Single(Sent<EndOfStream>());
        Assert.Equal((2L, 20L, Sha), (end.Segments, end.Bytes, end.Sha256));
    }

    [Fact]
    public async Task WhenSegmentsAreStoredOutOfOrder_EachIsAnnouncedAtOnceButTheManifestCountsOnlyTheUnbrokenRun()
    {
        var run = await StartAsync();
        await StoreAsync(run, 2);
        await AdvanceAsync(run, ManifestInterval, somethingFallsDue: false);
        await StoreAsync(run, 3);
        Assert.Single(Manifests());

        await StoreAsync(run, 1);

        Assert.Equal([2L, 3L, 1L], Sent<SegmentReady>().Select(s => s.Index));
        // S3Fanout's own count is the whole run; s3pipe2's keys stay one segment behind while the broadcast is open.
        var last = Manifests()[^1];
        Assert.Equal((3L, 30L, 2L, 20L), (last.Segments, last.Bytes, last.NumSegments, last.TotalSize));
    }

    [Fact]
    public async Task WhenSegmentsArriveQuickly_TheManifestIsRewrittenAtMostOncePerManifestInterval()
    {
        var run = await StartAsync();
        await AdvanceAsync(run, ManifestInterval, somethingFallsDue: false);
        await StoreAsync(run, 1);
        Assert.Equal(2, Manifests().Count);

        await StoreAsync(run, 2);
        await AdvanceAsync(run, ManifestInterval / 2, somethingFallsDue: false);
        await StoreAsync(run, 3);
        Assert.Equal(2, Manifests().Count);

        await AdvanceAsync(run, ManifestInterval / 2, somethingFallsDue: true);
        Assert.Equal(3, Manifests().Count);
        Assert.Equal(3, Manifests()[^1].Segments);
    }

    [Fact]
    public async Task WhenNothingIsSentForTheHeartbeatInterval_AHeartbeatAndAFreshManifestGoOut()
    {
        var run = await StartAsync();
        var began = _time.GetUtcNow();

        await AdvanceAsync(run, HeartbeatInterval - TimeSpan.FromMilliseconds(1), somethingFallsDue: false);
        Assert.Empty(Sent<Heartbeat>());
        await AdvanceAsync(run, TimeSpan.FromMilliseconds(1), somethingFallsDue: true);

        Assert.Equal(["put .manifest", "notify begin", "put .manifest", "notify heartbeat"], _journal);
        // With --notify none, updated_at is how subscribers tell an idle publisher from a dead one.
        Assert.Equal(began + HeartbeatInterval, Manifests()[^1].UpdatedAt);

        await AdvanceAsync(run, HeartbeatInterval, somethingFallsDue: true);
        Assert.Equal(2, Sent<Heartbeat>().Count);
    }

    [Fact]
    public async Task WhenASegmentIsAnnounced_TheNextHeartbeatWaitsAFullIntervalFromIt()
    {
        var run = await StartAsync();
        await AdvanceAsync(run, TimeSpan.FromSeconds(3), somethingFallsDue: false);
        await StoreAsync(run, 1);

        await AdvanceAsync(run, HeartbeatInterval - TimeSpan.FromMilliseconds(1), somethingFallsDue: false);
        Assert.Empty(Sent<Heartbeat>());
        await AdvanceAsync(run, TimeSpan.FromMilliseconds(1), somethingFallsDue: true);

        var heartbeat = Assert.Single(Sent<Heartbeat>());
        Assert.Equal((1L, 10L), (heartbeat.StoredSegments, heartbeat.StoredBytes));
    }

    [Fact]
    public async Task WhenTheBroadcastIsAborted_TheManifestSaysAbortedWithTheReasonAndSubscribersAreTold()
    {
        var run = await StartAsync();
        await StoreAsync(run, 1);
        _stored.Writer.Complete();
        await run.Within("the announcer to finish");

        await _announcer.AbortAsync("reading stdin failed", CancellationToken.None);

        Assert.Equal(["put .manifest", "notify aborted"], _journal.TakeLast(2));
        var manifest = Manifests()[^1];
        Assert.Equal(BroadcastState.Aborted, manifest.State);
        Assert.False(manifest.Completed);
        Assert.Equal("reading stdin failed", manifest.AbortReason);
        Assert.Equal((1L, 10L, 0L, 0L), (manifest.Segments, manifest.Bytes, manifest.NumSegments, manifest.TotalSize));
        Assert.Equal("reading stdin failed", Assert.Single(Sent<BroadcastAborted>()).Reason);
    }

    [Fact]
    public async Task WhenThisPublisherNeverHeldTheName_AbortTouchesNeitherTheManifestNorTheSubscribers()
    {
        // Another publisher's manifest may be there: marking it aborted, or telling its subscribers so, would stop them.
        await _announcer.AbortAsync("another publisher holds the name", CancellationToken.None);

        Assert.Empty(Manifests());
        Assert.Empty(Sent<BroadcastAborted>());
    }

    [Fact]
    public async Task WhenTheAbortCannotBeWrittenToTheManifest_ItIsLoggedAndSubscribersAreStillTold()
    {
        await _announcer.OpenAsync(TopicArn, CancellationToken.None);
        _s3.PutFailures.Enqueue(InMemoryS3.ServerError());

        await _announcer.AbortAsync("reading stdin failed", CancellationToken.None);

        Assert.Equal(BroadcastState.Open, Assert.Single(Manifests()).State);
        Assert.Single(Sent<BroadcastAborted>());
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("aborted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheAbortWriteFindsAnotherPublishersManifest_NoAbortedNotificationIsSent()
    {
        await _announcer.OpenAsync(TopicArn, CancellationToken.None);
        _s3.Store(ManifestKey, "[s3pipe2]\nversion = 0.1\nsegment_size = 1\nupload_began = 2026-12-05T10:00:00+00:00\ncompleted = false\nnum_segments = 0\ntotal_size = 0\n");
        _s3.PutFailures.Enqueue(new Amazon.S3.AmazonS3Exception("At least one of the pre-conditions you specified did not hold", Amazon.Runtime.ErrorType.Sender, "PreconditionFailed", "req-3", System.Net.HttpStatusCode.PreconditionFailed));

        await _announcer.AbortAsync("segment 3 was written by another publisher", CancellationToken.None);

        Assert.Empty(Sent<BroadcastAborted>());
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("another publisher", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheAbortsDeadlinePassesDuringItsWrite_SubscribersAreStillTold_AndNoCancellationEscapes()
    {
        await _announcer.OpenAsync(TopicArn, CancellationToken.None);
        using var expired = new CancellationTokenSource();
        await expired.CancelAsync();

        await _announcer.AbortAsync("the endpoint stopped answering", expired.Token);

        Assert.Equal("the endpoint stopped answering", Assert.Single(Sent<BroadcastAborted>()).Reason);
    }

    [Fact]
    public async Task WhenANotificationCannotBeSent_ItIsLoggedAndTheBroadcastGoesOn()
    {
        var run = await StartAsync();
        _sink.Failures.Enqueue(new HttpRequestException("SNS is unreachable"));
        await StoreAsync(run, 1);
        await StoreAsync(run, 2);
        _stored.Writer.Complete();
        await run.Within("the announcer to finish");
        await _announcer.CompleteAsync(20, Sha, CancellationToken.None);

        // Subscribers still learn of segment 1 from the manifest, which counts it.
        Assert.Equal([2L], Sent<SegmentReady>().Select(s => s.Index));
        Assert.Equal(2, Manifests()[^1].NumSegments);
        var warning = Assert.Single(_log.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("SNS is unreachable", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10)] // segment 3 is stored after a gap, though the bytes before the gap add up
    [InlineData(30)]
    public async Task WhenASegmentIsMissingAtTheEnd_TheBroadcastIsNotMarkedComplete(long totalBytes)
    {
        var run = await StartAsync();
        await StoreAsync(run, 1);
        await StoreAsync(run, 3);
        _stored.Writer.Complete();
        await run.Within("the announcer to finish");

        var e = await Assert.ThrowsAsync<FatalException>(() => _announcer.CompleteAsync(totalBytes, Sha, CancellationToken.None));

        Assert.Equal(ExitCodes.Internal, e.ExitCode);
        Assert.All(Manifests(), m => Assert.Equal(BroadcastState.Open, m.State));
        Assert.Empty(Sent<EndOfStream>());
    }

    public void Dispose()
    {
        _announcer.Dispose();
        _stop.Cancel();
        _stop.Dispose();
        _s3.Dispose();
    }
}
