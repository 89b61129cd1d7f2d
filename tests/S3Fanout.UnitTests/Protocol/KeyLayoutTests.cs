using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class KeyLayoutTests
{
    [Theory]
    [InlineData(1, "p/000000000000001")]
    [InlineData(42, "p/000000000000042")]
    [InlineData(999_999_999_999_999, "p/999999999999999")]
    public void WhenASegmentKeyIsMade_ItIsTheIndexInFifteenDigits(long index, string expected) =>
        Assert.Equal(expected, KeyLayout.SegmentKey("p", index));

    [Fact]
    public void WhenTheManifestAndChecksumKeysAreMade_TheyAreDotFilesInThePrefix()
    {
        Assert.Equal("a/b/.manifest", KeyLayout.ManifestKey("a/b"));
        Assert.Equal("a/b/.checksums", KeyLayout.ChecksumsKey("a/b"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_000_000_000_000)]
    [InlineData(long.MaxValue)]
    public void WhenTheIndexIsOutOfBounds_NoKeyIsMade(long index) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyLayout.SegmentKey("p", index));

    [Theory]
    [InlineData(1)]
    [InlineData(123_456)]
    [InlineData(999_999_999_999_999)]
    public void WhenAKeyIsMadeAndParsed_TheIndexComesBack(long index)
    {
        Assert.True(KeyLayout.TryParseSegmentIndex("s/x", KeyLayout.SegmentKey("s/x", index), out var parsed));
        Assert.Equal(index, parsed);
    }

    [Theory]
    [InlineData("p/00000000000001")] // 14 digits
    [InlineData("p/0000000000000001")] // 16 digits
    [InlineData("p/00000000000000a")]
    [InlineData("p/-00000000000001")]
    [InlineData("p/+00000000000001")]
    [InlineData("p/ 00000000000001")]
    [InlineData("p/00000000000000\u0661")] // Arabic-Indic digit one
    [InlineData("p/.manifest")]
    [InlineData("p/.checksums")]
    [InlineData("p/")]
    [InlineData("p/sub/000000000000001")]
    public void WhenTheNameIsNotFifteenAsciiDigits_ItIsNotASegment(string key)
    {
        Assert.False(KeyLayout.TryParseSegmentIndex("p", key, out var index));
        Assert.Equal(0, index);
    }

    [Theory]
    [InlineData("q/000000000000001")]
    [InlineData("pp/000000000000001")]
    [InlineData("000000000000001")]
    [InlineData("P/000000000000001")]
    [InlineData("x/p/000000000000001")]
    public void WhenTheKeyIsUnderAnotherPrefix_ItIsNotASegment(string key) =>
        Assert.False(KeyLayout.TryParseSegmentIndex("p", key, out _));

    [Fact]
    public void WhenTheIndexIsZero_ItIsNotASegment() =>
        Assert.False(KeyLayout.TryParseSegmentIndex("p", "p/000000000000000", out _));
}
