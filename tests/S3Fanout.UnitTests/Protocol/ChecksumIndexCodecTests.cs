using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class ChecksumIndexCodecTests
{
    private static readonly string A = SegmentChecksum.Of("first"u8);
    private static readonly string B = SegmentChecksum.Of("second"u8);
    private static readonly string C = SegmentChecksum.Of(""u8);

    private static readonly SegmentInfo[] Segments =
    [
        new(1, 0, 100, A),
        new(2, 100, 250, B),
        new(3, 350, 0, C),
    ];

    [Fact]
    public void WhenAnIndexIsFormattedAndParsed_EverySegmentSurvivesInOrder()
    {
        var text = ChecksumIndexCodec.Format(Segments);

        Assert.StartsWith("# s3fanout checksums v1", text, StringComparison.Ordinal);
        Assert.Equal(Segments, ChecksumIndexCodec.Parse(text));
    }

    [Fact]
    public void WhenTheIndexIsEmpty_ItParsesToNoSegments() =>
        Assert.Empty(ChecksumIndexCodec.Parse(ChecksumIndexCodec.Format([])));

    [Fact]
    public void WhenTheIndexHasCrLfLineEndsAndBlankLines_ItStillParses()
    {
        var text = ChecksumIndexCodec.Format(Segments).Replace("\n", "\r\n\r\n", StringComparison.Ordinal);

        Assert.Equal(Segments, ChecksumIndexCodec.Parse(text));
    }

    [Theory]
    [InlineData("2 0 100 {A}\n")] // starts at 2
    [InlineData("1 0 100 {A}\n3 100 250 {B}\n")] // skips 2
    [InlineData("1 0 100 {A}\n1 0 100 {A}\n")] // repeats 1
    [InlineData("2 100 250 {B}\n1 0 100 {A}\n")] // reordered
    [InlineData("1 5 100 {A}\n")] // first offset not 0
    [InlineData("1 0 100 {A}\n2 99 250 {B}\n")] // overlaps
    [InlineData("1 0 100 {A}\n2 101 250 {B}\n")] // leaves a hole
    public void WhenALineIsOutOfSequence_ParsingFails(string template)
    {
        var e = Assert.Throws<ManifestException>(() => ChecksumIndexCodec.Parse(Fill(template)));

        Assert.Contains("out of sequence", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 0 100\n")]
    [InlineData("1 0 100 {A} extra\n")]
    [InlineData("1  0 100 {A}\n")]
    [InlineData("one 0 100 {A}\n")]
    [InlineData("1 -0 100 {A}\n")]
    [InlineData("1 0 -100 {A}\n")]
    [InlineData("1 0 1e2 {A}\n")]
    [InlineData("1 0 100 notachecksum\n")]
    [InlineData("1 0 100 AAAAAAAAAAA\n")] // 11 characters
    [InlineData("1 0 100 AAAAAAAA\n")] // 6 bytes
    [InlineData("1 0 100 AAAAAAAAAAAAAAAA\n")] // 12 bytes
    [InlineData("1 0 99999999999999999999 {A}\n")]
    public void WhenALineIsMalformed_ParsingFailsQuotingIt(string template)
    {
        var e = Assert.Throws<ManifestException>(() => ChecksumIndexCodec.Parse(Fill(template)));

        Assert.Contains("malformed line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenOffsetsAndSizesOverflowALong_ParsingFailsAsMalformedRatherThanCrashing()
    {
        // A hostile or corrupt .checksums must end as ManifestException (ManifestStore turns only that into an Integrity error).
        var text = Fill($"1 0 {long.MaxValue} {{A}}\n2 {long.MaxValue} 1 {{B}}\n");

        var e = Record.Exception(() => ChecksumIndexCodec.Parse(text));

        Assert.True(e is ManifestException,
            $"SRC BUG (ChecksumIndexCodec.Parse, checked(offset + size)): an overflowing offset+size escapes as {e?.GetType().Name ?? "no exception"} instead of ManifestException");
    }

    private static string Fill(string template) =>
        template.Replace("{A}", A, StringComparison.Ordinal).Replace("{B}", B, StringComparison.Ordinal);
}
