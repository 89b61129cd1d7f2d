using System.Text;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

/// <summary>The index read a line at a time, as a reader's window advances: the checks of the whole-text parse, line by line.</summary>
public sealed class ChecksumIndexReaderTests
{
    private static readonly SegmentInfo[] Segments =
    [
        new(1, 0, 100, SegmentChecksum.Of("first"u8)),
        new(2, 100, 250, SegmentChecksum.Of("second"u8)),
        new(3, 350, 0, SegmentChecksum.Of(""u8)),
    ];

    private static ChecksumIndexReader Reader(string text, int pieceBytes = 7)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        // Pieces of 7 bytes: every line is split across ranged reads.
        return new ChecksumIndexReader(new RangedObjectStream((from, piece, _) =>
        {
            var count = (int)Math.Min(piece.Length, bytes.Length - from);
            Array.Copy(bytes, from, piece, 0, count);
            return Task.FromResult(count);
        }, bytes.Length, pieceBytes), "s3://b/x/.checksums");
    }

    [Fact]
    public async Task WhenReadInSmallPieces_EverySegmentArrivesInOrderAndTheCountIsRight()
    {
        using var reader = Reader(ChecksumIndexCodec.Format(Segments).Replace("\n", "\r\n\n", StringComparison.Ordinal));

        Assert.Equal(Segments[0], await reader.ReadAsync(CancellationToken.None));
        Assert.Equal(3, await reader.CountAsync(CancellationToken.None));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WhenTheLastLineHasNoNewline_ItStillCounts()
    {
        using var reader = Reader(ChecksumIndexCodec.Format(Segments).TrimEnd('\n'));

        Assert.Equal(3, await reader.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WhenALineIsOutOfSequence_TheReadEndsWithExit7NamingTheIndex()
    {
        var text = ChecksumIndexCodec.Format(Segments).Replace("2 100 ", "2 101 ", StringComparison.Ordinal);
        using var reader = Reader(text);

        var e = await Assert.ThrowsAsync<FatalException>(() => reader.CountAsync(CancellationToken.None));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Equal("s3://b/x/.checksums is malformed: .checksums line for segment 2 is out of sequence", e.Message);
    }

    [Fact]
    public async Task WhenALineIsEndless_TheReadStopsAtTheLineLimitInsteadOfHoldingIt()
    {
        using var reader = Reader(ChecksumIndexCodec.Format(Segments[..1]) + new string('7', 10_000_000), pieceBytes: 64 * 1024);

        var e = await Assert.ThrowsAsync<FatalException>(() => reader.CountAsync(CancellationToken.None));

        Assert.Equal(ExitCodes.Integrity, e.ExitCode);
        Assert.Contains($"a line longer than {ChecksumIndexCodec.MaxLineBytes} bytes after segment 1", e.Message, StringComparison.Ordinal);
    }
}
