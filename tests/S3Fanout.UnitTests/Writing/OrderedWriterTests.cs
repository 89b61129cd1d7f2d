using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using S3Fanout.Shared;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Writing;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Writing;

public sealed class OrderedWriterTests : IDisposable
{
    private static readonly byte[] Data = new TestData(100, seed: 40).ToArray();
    private static readonly (int Offset, int Size)[] Pieces = [(0, 30), (30, 45), (75, 25)];

    private readonly FakeTimeProvider _time = new();
    private readonly ReorderWindow _window = new(capacity: 8);
    private readonly BroadcastTracker _tracker;
    private readonly List<TrackedBuffer> _buffers = [];

    public OrderedWriterTests() => _tracker = new BroadcastTracker(Locations.Default, _time, NullLogger<BroadcastTracker>.Instance);

    private OrderedWriter Writer(Stream sink) => new(_window, _tracker, sink, FailurePolicy.AbortOnFirstBadSegment, NullLogger<OrderedWriter>.Instance);

    private FetchedSegment Segment(long index, long? claimedOffset = null)
    {
        var (offset, size) = Pieces[index - 1];
        var bytes = Data.AsSpan(offset, size);
        var buffer = new TrackedBuffer(bytes);
        _buffers.Add(buffer);
        return new FetchedSegment(index, buffer, new SegmentInfo(index, claimedOffset ?? offset, size, SegmentChecksum.Of(bytes)));
    }

    private void End(long bytes = 100, string? sha = null)
    {
        _tracker.Apply(new EndOfStream
        {
            Bucket = Locations.Default.Bucket,
            Broadcast = Locations.Default.Prefix,
            Segments = 3,
            Bytes = bytes,
            Sha256 = sha ?? TestData.Sha256Hex(Data),
        });
        _window.Put(FetchedSegment.EndBefore(4));
    }

    [Fact]
    public async Task WhenSegmentsArriveOutOfOrder_TheWriterEmitsThemInOrderAndVerifiesTheStream()
    {
        _window.Put(Segment(3));
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        End();
        using var sink = new MemoryStream();
        var writer = Writer(sink);

        await writer.RunAsync(CancellationToken.None).Within("the writer");

        Assert.Equal(Data, sink.ToArray());
        Assert.Equal(100, writer.BytesWritten);
        Assert.Equal(3, writer.SegmentsWritten);
        Assert.Equal(TestData.Sha256Hex(Data), writer.StreamSha256);
        Assert.Equal(4, _window.NextIndex);
        Assert.All(_buffers, b => Assert.True(b.IsDisposed, "a written segment's buffer was not released"));
    }

    [Fact]
    public async Task WhenSegmentsArriveWhileTheWriterWaits_ItWritesEachAsSoonAsItsTurnComes()
    {
        using var sink = new MemoryStream();
        var writer = Writer(sink);
        var run = writer.RunAsync(CancellationToken.None);

        await Task.Run(() => _window.Put(Segment(2)));
        Assert.False(await run.CompletesQuicklyAsync());
        Assert.Equal(0, sink.Length);
        await Task.Run(() => _window.Put(Segment(1)));
        await Task.Run(() =>
        {
            _window.Put(Segment(3));
            End();
        });
        await run.Within("the writer");

        Assert.Equal(Data, sink.ToArray());
    }

    [Fact]
    public async Task WhenASegmentClaimsAnOffsetOtherThanTheBytesWritten_ItIsAnIntegrityErrorAndNothingOfItIsWritten()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2, claimedOffset: 31));
        _window.Put(Segment(3));
        End();
        using var sink = new MemoryStream();

        var e = await Assert.ThrowsAsync<FatalException>(() => Writer(sink).RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("segment 2 claims offset 31 but 30 bytes came before it", e.Message, StringComparison.Ordinal);
        Assert.Equal(Data[..30], sink.ToArray());
    }

    [Fact]
    public async Task WhenALaterSegmentFailsBeforeEarlierOnesArrive_TheEarlierOnesAreWrittenFirst_ThenItsErrorEndsTheRead()
    {
        using var sink = new MemoryStream();
        var run = Writer(sink).RunAsync(CancellationToken.None);
        var error = new FatalException(ExitCodes.Integrity, "segment 3 is missing");
        await Task.Run(() => _window.Put(FetchedSegment.Failure(new SegmentProblem(3, "stream/000000000000003", "missing"), error)));
        Assert.False(await run.CompletesQuicklyAsync());
        await Task.Run(() => _window.Put(Segment(2)));
        await Task.Run(() => _window.Put(Segment(1)));

        var e = await Assert.ThrowsAsync<FatalException>(() => run.Within("the writer"));

        Assert.Same(error, e);
        Assert.Equal(Data[..75], sink.ToArray());
    }

    [Fact]
    public async Task WhenTheStreamShaDiffersFromThePublishers_ItIsAnIntegrityError()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End(sha: new string('0', 64));
        using var sink = new MemoryStream();

        var e = await Assert.ThrowsAsync<FatalException>(() => Writer(sink).RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("does not match", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheByteCountDiffersFromThePublishers_ItIsAnIntegrityError()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End(bytes: 101);
        using var sink = new MemoryStream();

        var e = await Assert.ThrowsAsync<FatalException>(() => Writer(sink).RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("100 bytes but the publisher recorded 101", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheShaIsGivenInUpperCase_ItStillMatches()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End(sha: TestData.Sha256Hex(Data).ToUpperInvariant());
        using var sink = new MemoryStream();

        await Writer(sink).RunAsync(CancellationToken.None).Within("the writer");

        Assert.Equal(Data, sink.ToArray());
    }

    [Fact]
    public async Task WhenTheArchiveIsAnS3pipe2OneWithoutSha_OnlyTheByteCountIsChecked()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        _tracker.ApplyManifest(new Manifest { Completed = true, State = BroadcastState.Complete, NumSegments = 3, TotalSize = 100 });
        _window.Put(FetchedSegment.EndBefore(4));
        using var sink = new MemoryStream();
        var writer = Writer(sink);

        await writer.RunAsync(CancellationToken.None).Within("the writer");

        Assert.Equal(Data, sink.ToArray());
        Assert.Equal(TestData.Sha256Hex(Data), writer.StreamSha256);
    }

    [Fact]
    public async Task WhenTheOutputFailsWithAnIOException_ItIsALocalIoError()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End();
        using var sink = new FailingSink(acceptBytes: 50);

        var e = await Assert.ThrowsAsync<FatalException>(() => Writer(sink).RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.LocalIo, e.ExitCode);
        Assert.Contains("(30 bytes of earlier segments were written)", e.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(e.InnerException);
        Assert.Equal(Data[..30], sink.Accepted);
    }

    [Fact]
    public async Task WhenTheOutputIsSlowerThanTheHash_ASegmentIsReleasedOnlyAfterItsWriteFinished_AndTheNextWaitsItsTurn()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End();
        using var sink = new GatedSink();
        var writer = Writer(sink);

        var run = writer.RunAsync(CancellationToken.None);
        await sink.FirstWriteStarted.Within("the first write");
        // The hash of segment 1 runs beside its write; neither may release the buffer while the write still reads it.
        Assert.False(await run.CompletesQuicklyAsync());
        Assert.False(_buffers[0].IsDisposed, "segment 1's buffer was released while its write was still under way");
        Assert.Equal(0, writer.SegmentsWritten);
        Assert.Equal(2, _buffers.Count(b => !b.IsDisposed && b != _buffers[0]));

        sink.Open();
        await run.Within("the writer");

        Assert.Equal(Data, sink.Written);
        Assert.Equal(TestData.Sha256Hex(Data), writer.StreamSha256);
        Assert.All(_buffers, b => Assert.Equal(1, b.DisposeCount));
    }

    [Fact]
    public async Task WhenTheOutputFailsInALaterSegment_NothingOfThatSegmentOrAfterIsWrittenAndTheHashIsNotReported()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End();
        using var sink = new FailingSink(acceptBytes: 80);
        var writer = Writer(sink);

        var e = await Assert.ThrowsAsync<FatalException>(() => writer.RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.LocalIo, e.ExitCode);
        Assert.Contains("in segment 3 (75 bytes of earlier segments were written)", e.Message, StringComparison.Ordinal);
        Assert.Equal(Data[..75], sink.Accepted);
        Assert.Equal(2, writer.SegmentsWritten);
        Assert.Null(writer.StreamSha256);
        Assert.True(_buffers[2].IsDisposed, "the failed segment's buffer was not released");
    }

    [Fact]
    public async Task WhenTheFinalFlushFails_ItIsALocalIoError()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        End();
        using var sink = new FailingSink(acceptBytes: int.MaxValue, failFlush: true);

        var e = await Assert.ThrowsAsync<FatalException>(() => Writer(sink).RunAsync(CancellationToken.None).Within("the writer"));

        Assert.Equal(ExitCodes.LocalIo, e.ExitCode);
    }

    [Fact]
    public async Task WhenASegmentIsWritten_TheStallClockIsReset()
    {
        _window.Put(Segment(1));
        _window.Put(Segment(2));
        _window.Put(Segment(3));
        _time.Advance(TimeSpan.FromMinutes(5));
        End();
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(5), _tracker.SinceLastNews);
        using var sink = new MemoryStream();

        await Writer(sink).RunAsync(CancellationToken.None).Within("the writer");

        Assert.Equal(TimeSpan.Zero, _tracker.SinceLastNews);
    }

    public void Dispose()
    {
        _window.Dispose();
        _tracker.Dispose();
    }
}
