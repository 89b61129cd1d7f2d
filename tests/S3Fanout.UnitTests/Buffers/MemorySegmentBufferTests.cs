using S3Fanout.Shared.Buffers;
using S3Fanout.TestSupport;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Buffers;

public sealed class MemorySegmentBufferTests
{
    private const int Block = 16;
    private readonly BlockPool _pool = new(Block);

    [Theory]
    [InlineData(new[] { 50 })]
    [InlineData(new[] { 7, 13, 30 })]
    [InlineData(new[] { 16, 16, 16, 2 })]
    [InlineData(new[] { 1, 15, 1, 15, 0, 18 })]
    public void WhenAppendsCrossBlockBoundaries_TheBytesReadBackInOrder(int[] pieces)
    {
        var data = new TestData(pieces.Sum(), seed: 10).ToArray();
        using var buffer = new MemorySegmentBuffer(_pool);

        var at = 0;
        foreach (var n in pieces)
        {
            buffer.Append(data.AsSpan(at, n));
            at += n;
        }

        Assert.Equal(data.Length, buffer.Length);
        Assert.Equal(data, Chunks(buffer).SelectMany(c => c));
        Assert.Equal(data, ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public void WhenBytesAreReadStraightIn_TheyAreTheBuffersAndEachReadGetsAtMostTheRestOfABlock()
    {
        var data = new TestData(40, seed: 12).ToArray();
        using var buffer = new MemorySegmentBuffer(_pool);

        var at = 0;
        foreach (var n in new[] { 10, 6, 16, 8 })
        {
            var space = buffer.GetReadSpace(100);
            Assert.Equal(Block - (at % Block), space.Length);
            data.AsSpan(at, n).CopyTo(space.Span);
            buffer.Commit(n);
            at += n;
        }

        Assert.Equal(40, buffer.Length);
        Assert.Equal(data, ReadAll(buffer.OpenRead()));
        Assert.Equal(5, buffer.GetReadSpace(5).Length);
    }

    [Theory]
    [InlineData(19)]
    [InlineData(32)]
    public void WhenTheReadSpaceIsDetachedWithAReadUnderWay_TheBufferKeepsItsBytesAndTheBlockGoesBackToThePoolOnlyWhenReleased(int committed)
    {
        var data = new TestData(committed, seed: 13).ToArray();
        using var buffer = new MemorySegmentBuffer(_pool);
        buffer.Append(data);
        var space = buffer.GetReadSpace(100);

        var detached = buffer.DetachReadSpace();
        // The read still under way writes into the detached memory; none of it may show in the buffer.
        space.Span.Fill(0xEE);
        detached.Memory.Span.Fill(0xDD);

        Assert.Equal(committed, buffer.Length);
        Assert.Equal(data, ReadAll(buffer.OpenRead()));
        Assert.Equal(data, Chunks(buffer).SelectMany(c => c));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(detached.Memory, out var block));
        Assert.NotSame(block.Array, _pool.Rent());
        detached.Dispose();
        Assert.Same(block.Array, _pool.Rent());
    }

    [Fact]
    public void WhenChunksAreVisited_EachIsAtMostOneBlockAndTheLastIsTheRemainder()
    {
        using var buffer = new MemorySegmentBuffer(_pool);
        buffer.Append(new TestData(50, seed: 11).ToArray());

        Assert.Equal(new[] { 16, 16, 16, 2 }, Chunks(buffer).Select(c => c.Length));
    }

    [Fact]
    public async Task WhenCopiedToAStream_TheDestinationGetsExactlyTheBytes()
    {
        var data = new TestData(41, seed: 12).ToArray();
        using var buffer = new MemorySegmentBuffer(_pool);
        buffer.Append(data);
        using var destination = new MemoryStream();

        await buffer.CopyToAsync(destination, CancellationToken.None);

        Assert.Equal(data, destination.ToArray());
    }

    [Fact]
    public async Task WhenFilledFromAStreamThatReturnsShortReads_EveryByteIsObservedAndStoredOnce()
    {
        var data = new TestData(45, seed: 13).ToArray();
        var input = new ScriptedStream(steps: 4);
        input.Supply(0, data.AsSpan(0, 5));
        input.Supply(1, data.AsSpan(5, 11)); // ends exactly at the block boundary
        input.Supply(2, data.AsSpan(16, 3));
        input.Supply(3, data.AsSpan(19, 10));
        using var buffer = new MemorySegmentBuffer(_pool);
        var observed = new List<byte>();

        var total = await buffer.AppendFromAsync(input, max: 100, chunk => observed.AddRange(chunk), CancellationToken.None);

        Assert.Equal(29, total);
        Assert.Equal(29, buffer.Length);
        Assert.Equal(data[..29], observed);
        Assert.Equal(data[..29], ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public async Task WhenFilledFromAStreamWithAMaximum_ItStopsAtTheMaximumAndLeavesTheRestUnread()
    {
        var data = new TestData(100, seed: 14).ToArray();
        using var source = new MemoryStream(data);
        using var buffer = new MemorySegmentBuffer(_pool);
        buffer.Append(data.AsSpan(0, 3));

        var total = await buffer.AppendFromAsync(source, max: 40, _ => { }, CancellationToken.None);

        Assert.Equal(40, total);
        Assert.Equal(43, buffer.Length);
        Assert.Equal(40, source.Position);
        Assert.Equal(data[..3].Concat(data[..40]), ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public void WhenDisposed_ItsBlocksGoBackToThePoolAndItIsEmpty()
    {
        var buffer = new MemorySegmentBuffer(_pool);
        buffer.Append(Enumerable.Repeat((byte)0xAB, Block).ToArray());

        buffer.Dispose();

        Assert.Equal(0, buffer.Length);
        Assert.Empty(Chunks(buffer));
        // A recycled block still holds what was written into it; a new one would be uninitialised.
        Assert.All(_pool.Rent(), b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void WhenEmpty_NothingIsVisitedAndTheStreamIsEmpty()
    {
        using var buffer = new MemorySegmentBuffer(_pool);

        Assert.Empty(Chunks(buffer));
        Assert.Empty(ReadAll(buffer.OpenRead()));
    }

    private static List<byte[]> Chunks(SegmentBuffer buffer)
    {
        var chunks = new List<byte[]>();
        buffer.ForEachChunk(c => chunks.Add(c.ToArray()));
        return chunks;
    }

    internal static byte[] ReadAll(Stream stream)
    {
        using (stream)
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
