using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Fetching;

public sealed class FetchPlannerTests : IDisposable
{
    private static readonly string Bucket = Locations.Default.Bucket;
    private static readonly string Prefix = Locations.Default.Prefix;

    private readonly BroadcastTracker _tracker = new(Locations.Default, TimeProvider.System, NullLogger<BroadcastTracker>.Instance);
    private readonly Channel<long> _jobs = Channel.CreateUnbounded<long>();
    private readonly CancellationTokenSource _stop = new();
    private ReorderWindow _window = new(capacity: 10);

    private void UseWindow(ReorderWindow window)
    {
        _window.Dispose();
        _window = window;
    }

    private Task Start() => new FetchPlanner(_tracker, _window, _jobs.Writer, NullLogger<FetchPlanner>.Instance).RunAsync(_stop.Token);

    private void Known(long index) => _tracker.Apply(new SegmentReady
    {
        Bucket = Bucket,
        Broadcast = Prefix,
        Index = index,
        Key = KeyLayout.SegmentKey(Prefix, index),
        Size = 1,
        Checksum = SegmentChecksum.Of([1]),
    });

    private void Ends(long segments) => _tracker.Apply(new EndOfStream
    {
        Bucket = Bucket,
        Broadcast = Prefix,
        Segments = segments,
        Bytes = segments,
        Sha256 = new string('0', 64),
    });

    private async Task<List<long>> TakeJobs(int count)
    {
        var taken = new List<long>();
        for (var i = 0; i < count; i++)
        {
            taken.Add(await _jobs.Reader.ReadAsync().AsTask().Within($"fetch job {i + 1} of {count}"));
        }
        return taken;
    }

    private async Task AssertNoMoreJobs(string why)
    {
        var more = _jobs.Reader.WaitToReadAsync().AsTask();
        if (await more.CompletesQuicklyAsync() && _jobs.Reader.TryPeek(out var extra))
        {
            Assert.Fail($"{why}, yet segment {extra} was planned");
        }
    }

    /// <summary>Plays the writer: takes and writes segment <paramref name="index"/>, then tells the tracker.</summary>
    private async Task WriteNext(long index)
    {
        _window.Put(new FetchedSegment(index, new TrackedBuffer([1]), null));
        var taken = await _window.TakeNextAsync(CancellationToken.None).Within($"segment {index} from the window");
        Assert.Equal(index, taken.Index);
        _window.Advance();
        _tracker.NoteNews();
    }

    [Fact]
    public async Task WhenOnlyALaterSegmentIsKnown_EveryEarlierOneIsPlannedToo()
    {
        Known(5);

        var run = Start();

        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, await TakeJobs(5));
        await AssertNoMoreJobs("nothing beyond segment 5 is known");
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task WhenMoreBecomesKnownLater_PlanningContinuesFromWhereItStopped()
    {
        Known(2);
        var run = Start();
        Assert.Equal(new long[] { 1, 2 }, await TakeJobs(2));

        Known(4);

        Assert.Equal(new long[] { 3, 4 }, await TakeJobs(2));
        await AssertNoMoreJobs("nothing beyond segment 4 is known");
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task WhenMoreIsKnownThanTheWindowHolds_OnlyTheWindowIsPlannedUntilTheWriterMovesOn()
    {
        UseWindow(new ReorderWindow(capacity: 3));
        Known(10);

        var run = Start();

        Assert.Equal(new long[] { 1, 2, 3 }, await TakeJobs(3));
        await AssertNoMoreJobs("segment 4 is outside a window of 3 starting at 1");
        await WriteNext(1);
        Assert.Equal(new long[] { 4 }, await TakeJobs(1));
        await AssertNoMoreJobs("segment 5 is outside a window of 3 starting at 2");
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task WhenTheEndBecomesKnown_ExactlyTheStoredSegmentsArePlannedAndThenTheEndMarker()
    {
        Known(1);
        var run = Start();
        Assert.Equal(new long[] { 1 }, await TakeJobs(1));

        Ends(3);

        Assert.Equal(new long[] { 2, 3 }, await TakeJobs(2));
        await run.Within("the planner to finish");
        await _jobs.Reader.Completion.Within("the job channel to complete");
        for (var i = 1; i <= 3; i++)
        {
            await WriteNext(i);
        }
        var end = await _window.TakeNextAsync(CancellationToken.None).Within("the end marker");
        Assert.True(end.IsEnd);
        Assert.Equal(4, end.Index);
    }

    [Fact]
    public async Task WhenHeartbeatsCountedMoreThanTheEndSays_OnlyTheEndsCountIsPlanned()
    {
        _tracker.Apply(new Heartbeat { Bucket = Bucket, Broadcast = Prefix, StoredSegments = 8 });
        Ends(3);

        await Start().Within("the planner");

        Assert.Equal(new long[] { 1, 2, 3 }, await _jobs.Reader.ReadAllAsync().ToListAsync());
    }

    [Fact]
    public async Task WhenResumingPartWay_PlanningStartsAtTheWindowsNextIndex()
    {
        UseWindow(new ReorderWindow(capacity: 10, firstIndex: 4));
        Ends(6);

        await Start().Within("the planner");

        Assert.Equal(new long[] { 4, 5, 6 }, await _jobs.Reader.ReadAllAsync().ToListAsync());
    }

    [Fact]
    public async Task WhenMoreWasWrittenThanTheEndSays_ItIsAnIntegrityError()
    {
        UseWindow(new ReorderWindow(capacity: 10, firstIndex: 6));
        Ends(3);

        var e = await Assert.ThrowsAsync<FatalException>(() => Start().Within("the planner"));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        await Assert.ThrowsAsync<FatalException>(() => _jobs.Reader.Completion);
    }

    [Fact]
    public async Task WhenThePublisherAbortsMidway_PlanningFailsAsBroadcastFailedAndTheJobChannelFails()
    {
        Known(2);
        var run = Start();
        Assert.Equal(new long[] { 1, 2 }, await TakeJobs(2));

        _tracker.Apply(new BroadcastAborted { Bucket = Bucket, Broadcast = Prefix, Reason = "publisher interrupted" });

        var e = await Assert.ThrowsAsync<FatalException>(() => run.Within("the planner to fail"));
        Assert.Equal(ExitCodes.BroadcastFailed, e.ExitCode);
        Assert.Contains("publisher interrupted", e.Message, StringComparison.Ordinal);
        var channelError = await Assert.ThrowsAsync<FatalException>(() => _jobs.Reader.Completion.Within("the job channel"));
        Assert.Same(e, channelError);
    }

    [Fact]
    public async Task WhenTheBroadcastWasAbortedBeforePlanningStarted_NothingIsPlanned()
    {
        Known(3);
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Aborted, AbortReason = "bad input" });

        var e = await Assert.ThrowsAsync<FatalException>(() => Start().Within("the planner"));

        Assert.Equal(ExitCodes.BroadcastFailed, e.ExitCode);
        Assert.False(_jobs.Reader.TryRead(out _));
    }

    [Fact]
    public async Task WhenCancelled_PlanningStopsAndTheJobChannelCompletes()
    {
        Known(1);
        var run = Start();
        await TakeJobs(1);

        await _stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Within("the planner to stop"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _jobs.Reader.Completion.Within("the job channel"));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _window.Dispose();
        _tracker.Dispose();
    }
}
