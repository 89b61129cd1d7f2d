using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Publisher;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Shared;
using S3Fanout.Shared.Buffers;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Segmenting;

public sealed class StdinSegmenterTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private const int Chunk = 64 * 1024;

    private readonly SegmentBufferFactory _buffers = new(null, "publisher");
    private readonly Channel<SealedSegment> _output = Channel.CreateUnbounded<SealedSegment>();
    private readonly List<SealedSegment> _received = [];

    private static PublisherOptions Options(TimeSpan? flush = null) => new()
    {
        Location = Locations.Default,
        SegmentSizeMiB = 1,
        ReadBufferBytes = Chunk,
        // Long unless a test is about flushing, so a slow machine never seals a segment early.
        FlushInterval = flush ?? TimeSpan.FromHours(1),
    };

    private StdinSegmenter Segmenter(Stream input, SegmentSlots slots, PublisherOptions? options = null) =>
        new(input, _buffers, slots, options ?? Options(), _output.Writer, TimeProvider.System, NullLogger<StdinSegmenter>.Instance);

    [Fact]
    public async Task WhenThreeAndAHalfSegmentsArePiped_FourSegmentsComeOutWithTheirOffsetsSizesAndBytes()
    {
        var data = new TestData(3 * MiB + MiB / 2, seed: 1).ToArray();
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(new MemoryStream(data), slots);

        await segmenter.RunAsync(CancellationToken.None).Within("the segmenter");
        var segments = await ReadAllAsync();

        Assert.Equal(new long[] { 1, 2, 3, 4 }, segments.Select(s => s.Index));
        Assert.Equal(new long[] { 0, MiB, 2 * MiB, 3 * MiB }, segments.Select(s => s.Offset));
        Assert.Equal(new long[] { MiB, MiB, MiB, MiB / 2 }, segments.Select(s => s.Buffer.Length));
        foreach (var s in segments)
        {
            Assert.Equal(data.AsSpan((int)s.Offset, (int)s.Buffer.Length).ToArray(), BytesOf(s.Buffer));
        }
        Assert.Equal(TestData.Sha256Hex(data), await StreamSha256Async());
        Assert.Equal(data.Length, segmenter.TotalBytes);
        Assert.Equal(4, segmenter.SegmentCount);
    }

    [Fact]
    public async Task WhenStdinIsRead_EveryReadLandsStraightInItsSegmentsOwnMemory_NotInACopy()
    {
        var data = new TestData(2 * MiB + MiB / 2, seed: 4).ToArray();
        var input = new MeteredStream(data);
        using var slots = new SegmentSlots(8);

        await Segmenter(input, slots).RunAsync(CancellationToken.None).Within("the segmenter");
        var segments = await ReadAllAsync();

        Assert.Equal(data, segments.SelectMany(s => BytesOf(s.Buffer)));
        var reads = input.Reads.Where(r => r.Served > 0).ToList();
        Assert.Equal(data.Length, reads.Sum(r => r.Served));
        foreach (var (into, served) in reads)
        {
            var inSegment = false;
            foreach (var segment in segments)
            {
                segment.Buffer.ForEachChunk(chunk => inSegment |= chunk.Overlaps(into.Span[..served]));
            }
            Assert.True(inSegment, $"a read of {served} bytes went into memory of no segment: the bytes were copied a second time");
        }
    }

    [Fact]
    public async Task WhenTheInputIsAnExactMultipleOfTheSegmentSize_NoEmptySegmentIsAdded()
    {
        var data = new TestData(2 * MiB, seed: 2).ToArray();
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(new MemoryStream(data), slots);

        await segmenter.RunAsync(CancellationToken.None).Within("the segmenter");
        var segments = await ReadAllAsync();

        Assert.Equal(new long[] { MiB, MiB }, segments.Select(s => s.Buffer.Length));
    }

    [Fact]
    public async Task WhenTheInputIsEmpty_ExactlyOneEmptySegmentIsSealed()
    {
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(new MemoryStream(), slots);

        await segmenter.RunAsync(CancellationToken.None).Within("the segmenter");
        var segment = Assert.Single(await ReadAllAsync());

        Assert.Equal(1, segment.Index);
        Assert.Equal(0, segment.Offset);
        Assert.Equal(0, segment.Buffer.Length);
        Assert.Equal(1, segmenter.SegmentCount);
        Assert.Equal(0, segmenter.TotalBytes);
        Assert.Equal(TestData.Sha256Hex([]), await StreamSha256Async());
    }

    [Fact]
    public async Task WhenTheInputStallsAfterAFewBytes_ThePartialSegmentIsSealedAfterTheFlushInterval()
    {
        var input = new ScriptedStream(steps: 3);
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(input, slots, Options(flush: TimeSpan.FromMilliseconds(100)));
        input.Supply(0, "hello"u8);

        var run = segmenter.RunAsync(CancellationToken.None);

        // Read 1 is still waiting for input, yet segment 1 must arrive.
        await input.ReadStarted(1).Within("the second read");
        var first = await _output.Reader.ReadAsync().AsTask().Within("segment 1 to be sealed by the flush timer");
        _received.Add(first);
        Assert.Equal(1, first.Index);
        Assert.Equal(0, first.Offset);
        Assert.Equal("hello"u8.ToArray(), BytesOf(first.Buffer));
        Assert.False(run.IsCompleted);

        input.Supply(1, " world"u8);
        await input.ReadStarted(2).Within("the third read");
        var second = await _output.Reader.ReadAsync().AsTask().Within("segment 2 to be sealed by the flush timer");
        _received.Add(second);
        Assert.Equal(2, second.Index);
        Assert.Equal(5, second.Offset);
        Assert.Equal(" world"u8.ToArray(), BytesOf(second.Buffer));

        input.Supply(2, []);
        await run.Within("the segmenter to finish at end of input");
        Assert.Empty(await ReadAllAsync());
        Assert.Equal(TestData.Sha256Hex("hello world"u8), await StreamSha256Async());
        Assert.Equal(2, segmenter.SegmentCount);
    }

    [Fact]
    public async Task WhenNoSegmentSlotIsFree_TheSegmenterReadsNoMoreThanOneSegmentAndOneChunk_AndGoesOnAfterARelease()
    {
        var data = new TestData(2 * MiB + MiB / 2, seed: 3).ToArray();
        var input = new MeteredStream(data);
        using var slots = new SegmentSlots(1);
        var segmenter = Segmenter(input, slots);

        var run = segmenter.RunAsync(CancellationToken.None);

        var first = await _output.Reader.ReadAsync().AsTask().Within("segment 1");
        _received.Add(first);
        await input.WhenRequestedAtLeast(MiB).Within("the segmenter to read segment 1");
        var readTooMuch = input.WhenRequestedAtLeast(MiB + Chunk + 1);
        Assert.False(await readTooMuch.CompletesQuicklyAsync(),
            $"with its only slot taken, the segmenter asked for {input.BytesRequested} bytes; at most {MiB + Chunk} (one segment and one read) expected");
        Assert.False(_output.Reader.TryRead(out _), "a second segment was sealed without a free slot");
        Assert.False(run.IsCompleted);

        slots.Release();
        var second = await _output.Reader.ReadAsync().AsTask().Within("segment 2 after a slot was released");
        _received.Add(second);
        Assert.InRange(input.BytesRequested, 2 * MiB, 2 * MiB + Chunk);
        slots.Release();
        await run.Within("the segmenter to finish");
        var third = Assert.Single(await ReadAllAsync());

        Assert.Equal(new long[] { 1, 2, 3 }, new[] { first, second, third }.Select(s => s.Index));
        Assert.Equal(data, new[] { first, second, third }.SelectMany(s => BytesOf(s.Buffer)));
        Assert.Equal(TestData.Sha256Hex(data), await StreamSha256Async());
    }

    [Fact]
    public async Task WhenReadingTheInputFails_ItIsALocalIoErrorAndTheOutputChannelFails()
    {
        var input = new ScriptedStream(steps: 2);
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(input, slots);
        input.Supply(0, "0123456789"u8);
        input.Fail(1, new IOException("Input/output error"));

        var e = await Assert.ThrowsAsync<FatalException>(() => segmenter.RunAsync(CancellationToken.None).Within("the segmenter"));

        Assert.Equal(ExitCodes.LocalIo, e.ExitCode);
        Assert.Contains("after 10 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("Input/output error", e.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(e.InnerException);
        Assert.True(_output.Reader.Completion.IsCompleted, "the output channel was left open");
        // The uploader reads the same error from the channel and may report it first: it must be the exit-9 one.
        var seen = await Assert.ThrowsAsync<FatalException>(() => _output.Reader.Completion);
        Assert.Equal(ExitCodes.LocalIo, seen.ExitCode);
        Assert.IsType<IOException>(seen.InnerException);
    }

    [Fact]
    public async Task WhenReadingFailsAfterSomeSegments_TheSealedOnesAreStillDeliveredBeforeTheError()
    {
        var input = new ScriptedStream(steps: 2);
        using var slots = new SegmentSlots(8);
        var segmenter = Segmenter(input, slots, Options() with { ReadBufferBytes = MiB });
        input.Supply(0, new TestData(MiB, seed: 4).ToArray());
        input.Fail(1, new IOException("gone"));

        await Assert.ThrowsAsync<FatalException>(() => segmenter.RunAsync(CancellationToken.None).Within("the segmenter"));

        Assert.True(_output.Reader.TryRead(out var sealedOne));
        _received.Add(sealedOne);
        Assert.Equal(1, sealedOne.Index);
        Assert.Equal(ExitCodes.LocalIo, (await Assert.ThrowsAsync<FatalException>(() => _output.Reader.Completion)).ExitCode);
    }

    private async Task<List<SealedSegment>> ReadAllAsync()
    {
        var list = new List<SealedSegment>();
        await foreach (var s in _output.Reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(Deadlines.Generous).Token))
        {
            list.Add(s);
        }
        _received.AddRange(list);
        return list;
    }

    /// <summary>The stream SHA-256 of every segment received so far, as the publisher's next stage computes it.</summary>
    private async Task<string> StreamSha256Async()
    {
        var input = Channel.CreateUnbounded<SealedSegment>();
        var output = Channel.CreateUnbounded<SealedSegment>();
        foreach (var s in _received)
        {
            input.Writer.TryWrite(s);
        }
        input.Writer.Complete();
        var hasher = new StreamHasher(input.Reader, output.Writer, _ => { });
        await hasher.RunAsync(CancellationToken.None).Within("the stream hasher");
        return hasher.StreamSha256;
    }

    private static byte[] BytesOf(SegmentBuffer buffer)
    {
        using var stream = buffer.OpenRead();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public void Dispose()
    {
        foreach (var s in _received)
        {
            s.Buffer.Dispose();
        }
        _buffers.Dispose();
    }
}
