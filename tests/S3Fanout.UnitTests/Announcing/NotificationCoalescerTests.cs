using Microsoft.Extensions.Time.Testing;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Announcing;

/// <summary>
/// Segment notices sealed within one window go out as one message: at most one segment message a window whatever the
/// segment rate, a lone segment after a quiet window at once, a full message at once, and nothing overtaken by the end.
/// </summary>
public sealed class NotificationCoalescerTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingNotificationSink _sink = new();
    private readonly CancellationTokenSource _stop = new();

    private SegmentReady Segment(long index) => new()
    {
        Bucket = Locations.Default.Bucket,
        Broadcast = Locations.Default.Prefix,
        Index = index,
        Key = KeyLayout.SegmentKey(Locations.Default.Prefix, index),
        Offset = (index - 1) * 100,
        Size = 100,
        Checksum = SegmentChecksum.Of("x"u8),
        SentAt = _time.GetUtcNow(),
    };

    private List<long> SentIndices() => _sink.Sent.SelectMany(n => n switch
    {
        SegmentReady s => [s.Index],
        SegmentsReady m => m.Segments.Select(e => e.Index),
        _ => [],
    }).ToList();

    [Fact]
    public async Task ALoneSegmentAfterAQuietWindow_GoesAtOnce_AndTheNextOnesWaitForTheWindowsEnd()
    {
        using var coalescer = new NotificationCoalescer(_sink, Window, _time);
        var running = coalescer.RunAsync(_stop.Token);

        await coalescer.SendAsync(Segment(1), CancellationToken.None);
        Assert.IsType<SegmentReady>(Assert.Single(_sink.Sent));
        for (var i = 2; i <= 5; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await coalescer.SendAsync(Segment(i), CancellationToken.None);
        }
        Assert.Single(_sink.Sent); // 200 ms into the window: still gathering

        _time.Advance(TimeSpan.FromMilliseconds(50));
        await Poll.UntilAsync(() => _sink.Sent.Count == 2, Deadlines.Generous, "the window's message");
        var gathered = Assert.IsType<SegmentsReady>(_sink.Sent.Last());
        Assert.Equal([2L, 3L, 4L, 5L], gathered.Segments.Select(e => e.Index));
        Assert.False(running.IsFaulted);
    }

    [Fact]
    public async Task AtTwentySegmentsASecond_SegmentMessagesStayAtOneAWindow_AndCarryEverySegmentOnce()
    {
        using var coalescer = new NotificationCoalescer(_sink, Window, _time);
        _ = coalescer.RunAsync(_stop.Token);
        var seconds = 3;
        for (var i = 1; i <= 20 * seconds; i++)
        {
            await coalescer.SendAsync(Segment(i), CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }
        await coalescer.FlushAsync(CancellationToken.None);

        // One a window over the run, the first at once, and the end's flush.
        Assert.InRange(_sink.Sent.Count, 2, (int)(seconds / Window.TotalSeconds) + 2);
        Assert.Equal(Enumerable.Range(1, 20 * seconds).Select(i => (long)i), SentIndices().Order());
    }

    [Fact]
    public async Task AFullMessage_GoesAtOnce_WithoutWaitingForTheWindow()
    {
        using var coalescer = new NotificationCoalescer(_sink, Window, _time);
        for (var i = 1; i <= 1 + SegmentsReady.MaxSegments; i++)
        {
            await coalescer.SendAsync(Segment(i), CancellationToken.None);
        }

        Assert.Equal(2, _sink.Sent.Count);
        Assert.Equal(SegmentsReady.MaxSegments, Assert.IsType<SegmentsReady>(_sink.Sent.Last()).Segments.Count);
    }

    [Fact]
    public async Task TheEndOfTheStream_SendsTheGatheredSegmentsFirst()
    {
        using var coalescer = new NotificationCoalescer(_sink, Window, _time);
        await coalescer.SendAsync(Segment(1), CancellationToken.None);
        await coalescer.SendAsync(Segment(2), CancellationToken.None);
        await coalescer.SendAsync(Segment(3), CancellationToken.None);
        await coalescer.SendAsync(new EndOfStream { Bucket = "b", Broadcast = "n", Segments = 3, Bytes = 300, Sha256 = new string('e', 64), SentAt = _time.GetUtcNow() }, CancellationToken.None);

        Assert.Collection(_sink.Sent,
            n => Assert.IsType<SegmentReady>(n),
            n => Assert.Equal([2L, 3L], Assert.IsType<SegmentsReady>(n).Segments.Select(e => e.Index)),
            n => Assert.IsType<EndOfStream>(n));
    }

    [Fact]
    public async Task AZeroWindow_SendsEverySegmentOnItsOwn()
    {
        using var coalescer = new NotificationCoalescer(_sink, TimeSpan.Zero, _time);
        for (var i = 1; i <= 5; i++)
        {
            await coalescer.SendAsync(Segment(i), CancellationToken.None);
        }

        Assert.Equal(5, _sink.Sent.Count);
        Assert.All(_sink.Sent, n => Assert.IsType<SegmentReady>(n));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
