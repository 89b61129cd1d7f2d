using S3Fanout.Shared.Buffers;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.UnitTests.Buffers;

public sealed class BlockReadStreamTests
{
    private const int Block = 16;
    private const int Length = 40; // two full blocks and half of a third
    private static readonly byte[] Data = new TestData(Length, seed: 20).ToArray();

    private static BlockReadStream Open()
    {
        var blocks = Data.Chunk(Block).Select(c =>
        {
            var block = new byte[Block];
            Array.Fill(block, (byte)0xEE); // bytes past the end must never be read
            c.CopyTo(block, 0);
            return block;
        }).ToList();
        return new BlockReadStream(blocks, Length);
    }

    [Fact]
    public void WhenReadToTheEnd_ItReturnsExactlyTheLengthAndNothingPastIt()
    {
        using var stream = Open();

        Assert.Equal(Data, MemorySegmentBufferTests.ReadAll(stream));
        Assert.Equal(0, stream.Read(new byte[10]));
    }

    [Fact]
    public void WhenAReadSpansABlockBoundary_TheBytesAreContiguous()
    {
        using var stream = Open();
        stream.Position = 10;
        var buffer = new byte[20];

        var n = stream.Read(buffer);

        Assert.Equal(20, n);
        Assert.Equal(Data[10..30], buffer);
        Assert.Equal(30, stream.Position);
    }

    [Theory]
    [InlineData(5, SeekOrigin.Begin, 5)]
    [InlineData(-5, SeekOrigin.End, 35)]
    [InlineData(0, SeekOrigin.End, 40)]
    public void WhenSeeking_ThePositionFollowsTheOrigin(long offset, SeekOrigin origin, long expected)
    {
        using var stream = Open();

        Assert.Equal(expected, stream.Seek(offset, origin));
        Assert.Equal(expected, stream.Position);
    }

    [Fact]
    public void WhenSeekingRelativeToTheCurrentPosition_ReadsResumeThere()
    {
        using var stream = Open();
        stream.ReadExactly(new byte[20]);

        stream.Seek(-3, SeekOrigin.Current);
        var buffer = new byte[6];
        stream.ReadExactly(buffer);

        Assert.Equal(Data[17..23], buffer);
    }

    [Fact]
    public void WhenReadingNearTheEnd_OnlyTheRemainingBytesAreReturned()
    {
        using var stream = Open();
        stream.Seek(-5, SeekOrigin.End);
        var buffer = new byte[100];

        var n = stream.Read(buffer, 0, buffer.Length);

        Assert.Equal(5, n);
        Assert.Equal(Data[35..], buffer[..5]);
    }

    [Fact]
    public async Task WhenRewoundAfterAFullRead_TheSecondReadIsIdentical()
    {
        // The SDK rewinds the body to retry a PUT.
        using var stream = Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var first = copy.ToArray();
        stream.Position = 0;
        var second = new byte[Length];

        var n = await stream.ReadAsync(second);

        Assert.Equal(Length, n);
        Assert.Equal(first, second);
    }

    [Fact]
    public void WhenPositionedPastTheEnd_ReadsReturnNothing()
    {
        using var stream = Open();
        stream.Position = 100;

        Assert.Equal(0, stream.Read(new byte[4]));
    }

    [Fact]
    public void WhenSeekingBeforeTheStart_ItIsRejected()
    {
        using var stream = Open();

        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Seek(-41, SeekOrigin.End));
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void WhenItIsEmpty_ReadsReturnNothing()
    {
        using var stream = new BlockReadStream([], 0);

        Assert.Equal(0, stream.Read(new byte[4]));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void WhenWrittenTo_ItRefuses()
    {
        using var stream = Open();

        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
    }
}
