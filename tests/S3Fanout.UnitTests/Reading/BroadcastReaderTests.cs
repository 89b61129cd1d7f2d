using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Reading;

/// <summary>The one reader under its two failure policies, against segments served from memory.</summary>
public sealed class BroadcastReaderTests : IDisposable
{
    private const int SegmentBytes = 1000;
    private readonly SegmentObjectsS3 _s3 = new();
    private readonly BroadcastTracker _tracker = new(Locations.Default, TimeProvider.System, NullLogger<BroadcastTracker>.Instance);
    private byte[] _stream = [];

    public void Dispose()
    {
        _tracker.Dispose();
        _s3.Dispose();
    }

    /// <summary>A complete broadcast of <paramref name="segments"/> segments, with its checksum index; returns its bytes.</summary>
    private void Publish(int segments, params int[] overwritten)
    {
        _published = Store(segments, overwritten);
        Track(_tracker);
    }

    private List<SegmentInfo> _published = [];

    /// <summary>Tells <paramref name="tracker"/> the manifest and checksum index of the last <see cref="Publish"/>: each read has its own tracker, as in the commands.</summary>
    private BroadcastTracker Track(BroadcastTracker tracker)
    {
        var infos = _published;
        var segments = infos.Count;
        tracker.ApplyManifest(new Manifest
        {
            FormatVersion = 1,
            Completed = true,
            State = BroadcastState.Complete,
            NumSegments = segments,
            TotalSize = _stream.Length,
            StreamSha256 = Convert.ToHexStringLower(SHA256.HashData(_stream)),
        });
        tracker.UseChecksums(ChecksumIndexes.Reader(infos));
        return tracker;
    }

    /// <summary>Stores the segments of a new stream of <paramref name="segments"/> segments in <see cref="_stream"/>; tells the tracker nothing.</summary>
    private List<SegmentInfo> Store(int segments, params int[] overwritten)
    {
        _stream = RandomNumberGenerator.GetBytes(segments * SegmentBytes);
        var infos = new List<SegmentInfo>();
        for (var i = 1; i <= segments; i++)
        {
            var body = _stream.AsSpan((i - 1) * SegmentBytes, SegmentBytes).ToArray();
            infos.Add(new SegmentInfo(i, (i - 1L) * SegmentBytes, SegmentBytes, SegmentChecksum.Of(body)));
            _s3.Store(Key(i), overwritten.Contains(i) ? RandomNumberGenerator.GetBytes(SegmentBytes) : body);
        }
        return infos;
    }

    private static string Key(long index) => KeyLayout.SegmentKey(Locations.Default.Prefix, index);

    private BroadcastReader Reader(FailurePolicy policy, int workers = 4, int tries = 2, TimeSpan? idle = null, BroadcastTracker? tracker = null) => new(
        _s3,
        tracker ?? _tracker,
        Stores.Manifests(_s3),
        new SubscriberOptions { Location = Locations.Default, Workers = workers, Tries = tries, TransferIdleTimeout = idle ?? TimeSpan.FromSeconds(30) },
        notificationsExpected: () => false,
        NullLoggerFactory.Instance,
        TimeProvider.System,
        policy);

    [Fact]
    public async Task WhenEverySegmentIsIntact_TheSinkGetsTheStream()
    {
        Publish(6);
        using var sink = new MemoryStream();
        var target = new StreamSink(sink);

        var result = await Reader(FailurePolicy.AbortOnFirstBadSegment).RunAsync(target, [], CancellationToken.None).Within("the read");

        Assert.Equal(_stream, sink.ToArray());
        Assert.True(target.Completed);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_stream)), result.Sha256);
        Assert.Empty(result.Bad);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public async Task WhenASegmentInTheMiddleStaysBad_AbortEndsTheReadWithExit7AndNothingOfIt(int workers)
    {
        Publish(24, overwritten: 11);
        using var sink = new MemoryStream();
        var target = new StreamSink(sink);

        var e = await Assert.ThrowsAsync<FatalException>(() => Reader(FailurePolicy.AbortOnFirstBadSegment, workers).RunAsync(target, [], CancellationToken.None).Within("the read"));

        Assert.False(target.Completed);
        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains("segment 11", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _s3.GetsOf(Key(11)));
        Assert.Equal(_stream.AsSpan(0, 10 * SegmentBytes).ToArray(), sink.ToArray());
    }

    [Fact]
    public async Task WhenFollowingOrVerifying_EverySegmentIsOneRangedGetOfItsRecordedSize()
    {
        Publish(3);
        await Reader(FailurePolicy.AbortOnFirstBadSegment).RunAsync(new StreamSink(Stream.Null), [], CancellationToken.None).Within("the read");
        using var second = Track(new BroadcastTracker(Locations.Default, TimeProvider.System, NullLogger<BroadcastTracker>.Instance));
        await Reader(FailurePolicy.RecordAndContinue, tracker: second).ReadStoredAsync(3, NullSink.Instance, CancellationToken.None).Within("the check");

        // A ranged GET spares the SDK's own MD5 pass over the body; both kinds of reader ask the same way.
        Assert.Equal(6, _s3.Requests.Count);
        Assert.All(_s3.Requests, r => Assert.Equal($"0-{SegmentBytes - 1}", r.Range));
    }

    [Fact]
    public async Task WhenSegmentsAreBad_RecordNamesEveryOneAndChecksTheRest()
    {
        Publish(6, overwritten: [2, 5]);

        var result = await Reader(FailurePolicy.RecordAndContinue).ReadStoredAsync(6, NullSink.Instance, CancellationToken.None).Within("the read");

        Assert.Equal([2L, 5L], result.Bad.Select(b => b.Index));
        Assert.All(result.Bad, b => Assert.StartsWith("CRC64/NVME is ", b.Reason, StringComparison.Ordinal));
        Assert.Equal(4, result.Segments);
        Assert.Null(result.Sha256);
        Assert.Empty(result.Failed);
    }

    [Fact]
    public async Task WhenASegmentIsMissing_RecordCallsItMissingWithoutWaiting()
    {
        Publish(3);

        var result = await Reader(FailurePolicy.RecordAndContinue).ReadStoredAsync(4, NullSink.Instance, CancellationToken.None).Within("the read");

        var missing = Assert.Single(result.Bad);
        Assert.Equal(4, missing.Index);
        Assert.Equal("missing: no such object", missing.Reason);
        Assert.Equal(3, result.Segments);
    }

    [Fact]
    public async Task WhenAccessIsDenied_RecordStillStopsWithExit4()
    {
        Publish(4);
        _s3.Denied[Key(3)] = true;

        var e = await Assert.ThrowsAsync<FatalException>(() => Reader(FailurePolicy.RecordAndContinue).ReadStoredAsync(4, NullSink.Instance, CancellationToken.None).Within("the read"));

        Assert.Equal(ExitCodes.Access, e.ExitCode);
        Assert.Equal(1, _s3.GetsOf(Key(3)));
    }

    [Fact]
    public async Task WhenASegmentNotYetStoredAnswers403_AFollowingReadLooksAgainUntilItIsThere()
    {
        // Without s3:ListBucket S3 answers 403 for a key that does not exist: segment 4 is announced before 3 is stored.
        var infos = Store(4);
        _s3.Denied[Key(3)] = true;
        _tracker.ApplyManifest(new Manifest { FormatVersion = 1, State = BroadcastState.Open }.WithStored(2, 2 * SegmentBytes, SegmentBytes));
        foreach (var info in infos.Where(i => i.Index != 3))
        {
            _tracker.Apply(new SegmentReady { Bucket = Locations.Default.Bucket, Broadcast = Locations.Default.Prefix, Index = info.Index, Key = Key(info.Index), Offset = info.Offset, Size = info.Size, Checksum = info.Checksum });
        }
        using var sink = new MemoryStream();

        var read = Reader(FailurePolicy.AbortOnFirstBadSegment).RunAsync(new StreamSink(sink), [], CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_s3.GetsOf(Key(3)) < 3 && !read.IsCompleted && clock.Elapsed < Deadlines.Generous)
        {
            await Task.Delay(20);
        }
        Assert.False(read.IsCompleted, "the read ended on a 403 for a segment that was not stored yet: " + read.Exception?.InnerException?.Message);
        Assert.True(_s3.GetsOf(Key(3)) >= 3, "segment 3 was not looked for again after its 403s");
        // Segment 3 is stored and the broadcast completes.
        _tracker.UseChecksums(ChecksumIndexes.Reader(infos));
        _tracker.ApplyManifest(new Manifest
        {
            FormatVersion = 1,
            Completed = true,
            State = BroadcastState.Complete,
            StreamSha256 = Convert.ToHexStringLower(SHA256.HashData(_stream)),
        }.WithStored(4, _stream.Length, SegmentBytes));
        _s3.Denied.TryRemove(Key(3), out _);
        await read.Within("the read");

        Assert.Equal(_stream, sink.ToArray());
    }

    [Fact]
    public async Task WhenASegmentThePublisherSaidIsStoredAnswers403_AFollowingReadEndsWithExit4NamingListBucket()
    {
        Publish(4);
        _s3.Denied[Key(3)] = true;

        var e = await Assert.ThrowsAsync<FatalException>(() => Reader(FailurePolicy.AbortOnFirstBadSegment, tries: 2).RunAsync(new StreamSink(Stream.Null), [], CancellationToken.None).Within("the read"));

        Assert.Equal(ExitCodes.Access, e.ExitCode);
        Assert.Contains("segment 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("s3:ListBucket", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _s3.GetsOf(Key(3)));
    }

    [Fact]
    public async Task WhenABodyStallsOnce_TheSegmentIsFetchedAgain()
    {
        Publish(3);
        _s3.Fault = (key, attempt) => key == Key(2) && attempt == 1 ? new StallingStream(100) : null;
        using var sink = new MemoryStream();

        await Reader(FailurePolicy.AbortOnFirstBadSegment, idle: TimeSpan.FromMilliseconds(300)).RunAsync(new StreamSink(sink), [], CancellationToken.None).Within("the read");

        Assert.Equal(_stream, sink.ToArray());
        Assert.Equal(2, _s3.GetsOf(Key(2)));
    }

    [Fact]
    public async Task WhenABodyStallsOnEveryAttempt_TheReadFailsNamingTheSegment()
    {
        Publish(3);
        _s3.Fault = (key, _) => key == Key(2) ? new StallingStream(100) : null;

        var e = await Assert.ThrowsAsync<FatalException>(() => Reader(FailurePolicy.AbortOnFirstBadSegment, idle: TimeSpan.FromMilliseconds(200)).RunAsync(new StreamSink(Stream.Null), [], CancellationToken.None).Within("the read"));

        Assert.Equal(ExitCodes.Transfer, e.ExitCode);
        Assert.Contains("segment 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("moved no byte", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Gives <paramref name="bytes"/> bytes, then blocks until cancelled, like a connection that went silent.</summary>
    private sealed class StallingStream(int bytes) : Stream
    {
        private int _left = bytes;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left > 0)
            {
                var n = Math.Min(_left, buffer.Length);
                buffer.Span[..n].Clear();
                _left -= n;
                return n;
            }
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
