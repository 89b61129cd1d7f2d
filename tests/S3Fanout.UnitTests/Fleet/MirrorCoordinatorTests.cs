using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fleet;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>
/// What the coordinator decides for each notification: which channel, which job, and whether a run starts at all.
/// Jobs are fakes that record their run in a real state store, as <see cref="MirrorJob"/> does.
/// </summary>
public sealed class MirrorCoordinatorTests : IDisposable
{
    private const string Bucket = "fleet-bucket";
    private readonly DirectoryInfo _stateDir = Directory.CreateTempSubdirectory("s3fanout-coordinator-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero));
    private readonly FakeLogger<MirrorCoordinator> _log = new();
    private readonly StateStore _states;
    private readonly FakeMirrorJobs _jobs;
    private readonly AwsConnection _aws;
    private readonly MirrorCoordinator _coordinator;
    private readonly CancellationTokenSource _stop = new();

    public MirrorCoordinatorTests()
    {
        _states = new StateStore(_stateDir.FullName);
        _jobs = new FakeMirrorJobs(_states, _time);
        // Catch-up is the only user of the store, and these tests never start it: the endpoint is never called.
        _aws = AwsConnection.Open(new AwsSettings { EndpointUrl = new Uri("http://127.0.0.1:9"), Region = "us-east-1", AccessKey = "test", SecretKey = "test" });
        var options = new FleetOptions
        {
            StateDirectory = _stateDir.FullName,
            MaxConcurrentBroadcasts = 2,
            Channels =
            [
                new ChannelOptions { Url = $"s3://{Bucket}/in/", Sink = new SinkOptions { Type = "directory", Path = "/srv/in" } },
                new ChannelOptions { Url = $"s3://{Bucket}/other/", Sink = new SinkOptions { Type = "command", Command = "cat" } },
            ],
        };
        _coordinator = new MirrorCoordinator(BroadcastStore.Open(_aws, NullLoggerFactory.Instance), _jobs, _states, Options.Create(options), _time, _log);
    }

    private BroadcastBegan Begin(string name, DateTimeOffset? sentAt = null) =>
        new() { Bucket = Bucket, Broadcast = name, SegmentSize = 1024 * 1024, SentAt = sentAt ?? _time.GetUtcNow() };

    private static SegmentReady Segment(string name, long index) => new()
    {
        Bucket = Bucket,
        Broadcast = name,
        Index = index,
        Key = KeyLayout.SegmentKey(name.Trim('/'), index),
        Offset = 0,
        Size = 1,
        Checksum = SegmentChecksum.Of([1]),
    };

    private static Heartbeat Heartbeat(string name) => new() { Bucket = Bucket, Broadcast = name, StoredSegments = 3, StoredBytes = 3 };

    private static EndOfStream End(string name) => new() { Bucket = Bucket, Broadcast = name, Segments = 1, Bytes = 1, Sha256 = new string('0', 64) };

    private static string IdOf(string name) => StateStore.Id(new BroadcastLocation(Bucket, name));

    /// <summary>A run's start time as the manifest keeps it: to the microsecond, a little before the begin was stamped.</summary>
    private static DateTimeOffset AsInManifest(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerMicrosecond), t.Offset);

    private void Record(string name, MirrorStatus status, DateTimeOffset? uploadBegan) =>
        _states.Save(IdOf(name), new MirrorRecord { Url = $"s3://{Bucket}/{name}", UploadBegan = uploadBegan, Status = status });

    private bool Logged(LogLevel level, string text) =>
        _log.Collector.GetSnapshot().Any(e => e.Level == level && e.Message.Contains(text, StringComparison.Ordinal));

    private string Log() => string.Join("\n", _log.Collector.GetSnapshot().Select(e => $"{e.Level}: {e.Message}"));

    private Task WhenIdleAsync(string what) =>
        Poll.UntilAsync(() => _coordinator.Health() is { Active: 0, Queued: 0 }, Deadlines.Generous, what);

    [Theory]
    [InlineData("elsewhere-bucket", "in/x")]
    [InlineData(Bucket, "out/x")]
    [InlineData(Bucket, "inside/x")]
    public void WhenNotificationIsForNoChannel_ItIsNotRoutedAndNoJobStarts(string bucket, string name)
    {
        var routed = _coordinator.OnNotification(new BroadcastBegan { Bucket = bucket, Broadcast = name, SentAt = _time.GetUtcNow() });

        Assert.False(routed);
        Assert.Empty(_jobs.Created);
    }

    [Fact]
    public void WhenBroadcastsBeginInTwoChannels_EachGetsOneJobOfItsOwnChannel()
    {
        Assert.True(_coordinator.OnNotification(Begin("in/a")));
        Assert.True(_coordinator.OnNotification(Begin("other/b")));
        Assert.True(_coordinator.OnNotification(Segment("in/a", 1)));
        Assert.True(_coordinator.OnNotification(Heartbeat("other/b")));

        Assert.Collection(_jobs.Created,
            a =>
            {
                Assert.Equal(new ChannelAddress(Bucket, "in/"), a.Channel);
                Assert.Equal(IdOf("in/a"), a.Id);
                Assert.Equal(1, a.Tracker.MaxKnownIndex);
            },
            b =>
            {
                Assert.Equal(new ChannelAddress(Bucket, "other/"), b.Channel);
                Assert.Equal(3, b.Tracker.MaxKnownIndex);
            });
        Assert.Equal(2, _coordinator.Health().Queued);
    }

    [Fact]
    public void WhenNameHasATrailingSlash_ItIsTheSameBroadcastAsWithout()
    {
        _coordinator.OnNotification(Begin("in/a/"));
        _coordinator.OnNotification(Segment("in/a", 1));
        _coordinator.OnNotification(Heartbeat("in/a//"));

        var job = Assert.Single(_jobs.Created);
        Assert.Equal("in/a", job.Tracker.Location.Prefix);
        Assert.Equal(IdOf("in/a"), job.Id);
        Assert.Equal(3, job.Tracker.MaxKnownIndex);
    }

    [Fact]
    public async Task WhenTheJobOfAForgedNameEnds_NoEntryIsLeftAndTheNameCanBeginAgain()
    {
        var loop = _coordinator.RunJobsAsync(_stop.Token);
        _coordinator.OnNotification(Begin("in/forged/"));
        var first = Assert.Single(_jobs.Created);
        await first.Started.Within("the forged broadcast's job to start");
        first.Fail("the publisher stopped");
        await WhenIdleAsync("the forged broadcast's job to leave the table");

        // Its tracker is disposed now: messages for that name must neither reach it nor stop the coordinator.
        _coordinator.OnNotification(Heartbeat("in/forged/"));
        _coordinator.OnNotification(Segment("in/forged/", 2));
        _time.Advance(TimeSpan.FromMinutes(5));
        _coordinator.OnNotification(Begin("in/forged/"));

        Assert.Equal(2, _jobs.Created.Count);
        Assert.NotSame(first.Tracker, _jobs.Created[1].Tracker);
        Assert.Equal(0, _jobs.Created[1].Tracker.MaxKnownIndex);
        Assert.Equal(1, _coordinator.Health().Failed);
        await _stop.CancelAsync();
        await loop.Within("the coordinator to stop");
    }

    [Theory]
    [InlineData("in/../../etc")]
    [InlineData("in/./x")]
    [InlineData("in/a//b")]
    [InlineData("in/bell\u0007")]
    [InlineData("/")]
    public void WhenNameIsNoValidBroadcast_ItIsLoggedAndDroppedWithoutAJob(string name)
    {
        _coordinator.OnNotification(Begin(name));
        _coordinator.OnNotification(Heartbeat(name));

        Assert.Empty(_jobs.Created);
        Assert.True(Logged(LogLevel.Warning, "Ignoring a begin notification"), Log());
        Assert.DoesNotContain(_log.Collector.GetSnapshot(), e => e.Message.Contains('\u0007', StringComparison.Ordinal));
    }

    [Fact]
    public void WhenNameIsTooLongForABroadcast_ItIsDroppedWithoutAJob()
    {
        _coordinator.OnNotification(Begin("in/" + new string('x', 1000)));

        Assert.Empty(_jobs.Created);
        Assert.True(Logged(LogLevel.Warning, "Ignoring a begin notification"), Log());
    }

    [Fact]
    public void WhenBeginRepeatsForARunRecordedAsDone_ItIsIgnoredAndLoggedAtDebug()
    {
        var began = _time.GetUtcNow().AddTicks(7);
        Record("in/a", MirrorStatus.Done, AsInManifest(began));

        _coordinator.OnNotification(Begin("in/a", began));

        Assert.Empty(_jobs.Created);
        Assert.True(Logged(LogLevel.Debug, $"Ignoring a repeated begin of s3://{Bucket}/in/a"), Log());
    }

    [Fact]
    public void WhenBeginHasANewUploadBeganForABroadcastRecordedAsDone_ANewRunIsMirrored()
    {
        Record("in/a", MirrorStatus.Done, AsInManifest(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromHours(1));

        _coordinator.OnNotification(Begin("in/a"));

        Assert.Single(_jobs.Created);
    }

    [Theory]
    [InlineData(nameof(MirrorStatus.Failed))]
    [InlineData(nameof(MirrorStatus.Mirroring))]
    public void WhenBeginRepeatsForARunThatIsNotDone_ItIsMirrored(string status)
    {
        var began = _time.GetUtcNow();
        Record("in/a", Enum.Parse<MirrorStatus>(status), AsInManifest(began));

        _coordinator.OnNotification(Begin("in/a", began));

        Assert.Single(_jobs.Created);
    }

    [Theory]
    [InlineData(nameof(MirrorStatus.Done))]
    [InlineData(nameof(MirrorStatus.Failed))]
    public void WhenLateMessagesArriveForARecordedBroadcast_NoJobStarts(string status)
    {
        Record("in/a", Enum.Parse<MirrorStatus>(status), AsInManifest(_time.GetUtcNow()));

        _coordinator.OnNotification(Segment("in/a", 4));
        _coordinator.OnNotification(End("in/a"));
        _coordinator.OnNotification(Heartbeat("in/a"));

        Assert.Empty(_jobs.Created);
    }

    [Fact]
    public void WhenTheBeginOfANewBroadcastWasMissed_ItsFirstSegmentStartsTheJob()
    {
        _coordinator.OnNotification(Heartbeat("in/a"));
        Assert.Empty(_jobs.Created);

        _coordinator.OnNotification(Segment("in/a", 1));

        var job = Assert.Single(_jobs.Created);
        Assert.Equal(1, job.Tracker.MaxKnownIndex);
    }

    [Fact]
    public async Task WhenMessagesArriveBeforeDuringAndAfterTheRun_TheBroadcastIsMirroredOnce()
    {
        var began = _time.GetUtcNow();
        _jobs.UploadBegan = AsInManifest(began);
        _coordinator.OnNotification(Begin("in/a", began));
        _coordinator.OnNotification(Begin("in/a", began));
        var loop = _coordinator.RunJobsAsync(_stop.Token);
        var job = Assert.Single(_jobs.Created);
        await job.Started.Within("the job to start");

        _coordinator.OnNotification(Begin("in/a/", began));
        _coordinator.OnNotification(Segment("in/a", 1));
        _coordinator.OnNotification(End("in/a"));
        Assert.Equal(1, _coordinator.Health().Active);
        job.Succeed();
        await WhenIdleAsync("the job to finish");

        // SQS delivers at least once: the begin, and late segments, come again after the run is recorded as done.
        _coordinator.OnNotification(Begin("in/a", began));
        _coordinator.OnNotification(Segment("in/a", 1));

        Assert.Single(_jobs.Created);
        Assert.Equal(new FleetHealth(0, 0, 1, 0, null), _coordinator.Health());
        await _stop.CancelAsync();
        await loop.Within("the coordinator to stop");
    }

    [Fact]
    public async Task WhenMoreBroadcastsBeginThanMayRunAtOnce_TheRestWaitTheirTurn()
    {
        foreach (var name in new[] { "in/a", "in/b", "in/c" })
        {
            _coordinator.OnNotification(Begin(name));
        }
        var loop = _coordinator.RunJobsAsync(_stop.Token);
        var (a, b, c) = (_jobs.Created[0], _jobs.Created[1], _jobs.Created[2]);
        await Task.WhenAll(a.Started, b.Started).Within("two jobs to start");
        Assert.False(await c.Started.CompletesQuicklyAsync(), "a third job started while two ran");
        Assert.Equal(new FleetHealth(2, 1, 0, 0, null), _coordinator.Health());

        a.Fail("sink command exited with code 3");
        await c.Started.Within("the waiting job to start once a slot is free");
        b.Succeed();
        c.Succeed();
        await WhenIdleAsync("every job to finish");

        Assert.Equal(new FleetHealth(0, 0, 2, 1, "sink command exited with code 3"), _coordinator.Health());
        await _stop.CancelAsync();
        await loop.Within("the coordinator to stop");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _coordinator.Dispose();
        _aws.Dispose();
        _states.Dispose();
        _stateDir.Delete(recursive: true);
    }
}
