using System.Text;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class SegmentChecksumTests
{
    // The CRC-64/NVME "check" value: the CRC of the nine ASCII bytes "123456789" (CRC RevEng catalogue; AWS's CRC64NVME).
    private const ulong CheckValue = 0xAE8B14860A799888;

    [Fact]
    public void WhenTheStandardCheckInputIsHashed_ItGivesTheCatalogueCheckValue()
    {
        Assert.Equal(SegmentChecksum.Encode(CheckValue), SegmentChecksum.Of("123456789"u8));
        Assert.Equal("rosUhgp5mIg=", SegmentChecksum.Encode(CheckValue));
    }

    [Fact]
    public void WhenTheValueIsEncoded_ItIsBase64OfTheBigEndianBytes() =>
        Assert.Equal(Convert.ToBase64String([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]), SegmentChecksum.Encode(0x0102030405060708));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    [InlineData(1000)]
    public void WhenDataIsAppendedInChunks_TheChecksumEqualsTheOneShotChecksum(int chunkSize)
    {
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 100)));
        var c = new SegmentChecksum();

        for (var i = 0; i < data.Length; i += chunkSize)
        {
            c.Append(data.AsSpan(i, Math.Min(chunkSize, data.Length - i)));
        }

        Assert.Equal(SegmentChecksum.Of(data), c.Finish());
    }

    [Fact]
    public void WhenFinishIsCalled_TheNextSegmentStartsFromScratch()
    {
        var c = new SegmentChecksum();
        c.Append("garbage"u8);
        c.Finish();

        c.Append("123456789"u8);

        Assert.Equal(SegmentChecksum.Encode(CheckValue), c.Finish());
    }

    [Fact]
    public void WhenOneByteDiffers_TheChecksumDiffers() =>
        Assert.NotEqual(SegmentChecksum.Of("123456789"u8), SegmentChecksum.Of("123456780"u8));

    [Theory]
    [InlineData("rosUhgp5mIg=", true)]
    [InlineData("AAAAAAAAAAA=", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("rosUhgp5mIg", false)]
    [InlineData("rosUhgp5mIg==", false)]
    [InlineData("AAAAAAAAAAAA", false)] // 9 bytes
    [InlineData("!!!!!!!!!!!=", false)]
    public void WhenTextIsCheckedForWellFormedness_OnlyBase64OfEightBytesPasses(string? text, bool expected) =>
        Assert.Equal(expected, SegmentChecksum.IsWellFormed(text));
}
