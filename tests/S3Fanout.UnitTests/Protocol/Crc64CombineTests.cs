using System.IO.Hashing;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

/// <summary>The combine function against System.IO.Hashing's CRC-64/NVME over the same bytes.</summary>
public sealed class Crc64CombineTests
{
    private static ulong Crc(ReadOnlySpan<byte> data)
    {
        var crc = new Crc64(Crc64ParameterSet.Nvme);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt64();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 17)]
    [InlineData(17, 0)]
    [InlineData(1, 1)]
    [InlineData(9, 1000)]
    [InlineData(65_536, 3)]
    [InlineData(1_000_003, 5 * 1024 * 1024 + 7)]
    public void WhenTwoRunsOfBytesAreCombined_TheResultIsTheChecksumOfTheirConcatenation(int lengthA, int lengthB)
    {
        var data = RandomBytes(lengthA + lengthB, seed: lengthA ^ lengthB);

        var combined = Crc64Combine.Combine(Crc(data.AsSpan(0, lengthA)), Crc(data.AsSpan(lengthA)), lengthB);

        Assert.Equal(Crc(data), combined);
    }

    [Fact]
    public void WhenManySegmentsOfUnequalSizeAreFolded_TheResultIsTheStreamChecksum()
    {
        var data = RandomBytes(3_000_000, seed: 7);
        var cuts = new[] { 0, 1, 4096, 4097, 700_000, 2_999_999, 3_000_000 };
        var folded = SegmentChecksum.Of([]);

        for (var i = 1; i < cuts.Length; i++)
        {
            var part = data.AsSpan(cuts[i - 1], cuts[i] - cuts[i - 1]);
            folded = Crc64Combine.Combine(folded, SegmentChecksum.Of(part), part.Length);
        }

        Assert.Equal(SegmentChecksum.Of(data), folded);
    }

    [Fact]
    public void WhenTheFirstRunChanges_TheCombinedChecksumChanges()
    {
        var data = RandomBytes(2048, seed: 3);
        var good = Crc64Combine.Combine(Crc(data.AsSpan(0, 1024)), Crc(data.AsSpan(1024)), 1024);
        data[5] ^= 1;

        Assert.NotEqual(good, Crc64Combine.Combine(Crc(data.AsSpan(0, 1024)), Crc(data.AsSpan(1024)), 1024));
    }

    [Fact]
    public void WhenTheLengthIsNegative_ItIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Crc64Combine.Combine(0UL, 0UL, -1));

    [Fact]
    public void WhenAChecksumTextIsNotEightBase64Bytes_DecodeRefusesIt() =>
        Assert.Throws<FormatException>(() => SegmentChecksum.Decode("not-a-crc"));

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
