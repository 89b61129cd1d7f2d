using S3Fanout.Shared.Assembly;
using Xunit;

namespace S3Fanout.UnitTests.Assembly;

public sealed class AssemblyPlannerTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void WhenAFlushedPartialLeadsFullSegments_ItIsPaddedFromTheNextAndTheRestIsCopied()
    {
        var plan = AssemblyPlanner.Plan(Segments(1 * MiB, 16 * MiB, 16 * MiB, 3 * MiB));

        AssertValid(plan, 36 * MiB);
        Assert.Equal(4, plan.Parts.Count);
        var first = plan.Parts[0];
        Assert.False(first.IsCopy);
        Assert.Equal([(1L, 0L, MiB), (2L, 0L, 4 * MiB)], first.Downloads.Select(p => (p.Segment.Index, p.From, p.Length)));
        Assert.Equal((2L, 4 * MiB, 12 * MiB), (plan.Parts[1].Copy!.Segment.Index, plan.Parts[1].Copy!.From, plan.Parts[1].Copy!.Length));
        Assert.True(plan.Parts[2].Copy!.IsWholeSegment);
        Assert.True(plan.Parts[3].Copy!.IsWholeSegment); // the short tail is the last part: copied, no minimum
        Assert.Equal(5 * MiB, plan.DownloadedBytes);
    }

    [Fact]
    public void WhenOnlyFullSegmentsAndATail_NothingIsDownloaded()
    {
        var plan = AssemblyPlanner.Plan(Segments(8 * MiB, 8 * MiB, 8 * MiB, 100));

        AssertValid(plan, (24 * MiB) + 100);
        Assert.Equal(0, plan.DownloadedBytes);
        Assert.All(plan.Parts, p => Assert.True(p.Copy!.IsWholeSegment));
    }

    [Fact]
    public void WhenSmallSegmentsFollowALargeOne_TheyAreUploadedTogetherAsTheLastPart()
    {
        var plan = AssemblyPlanner.Plan(Segments(8 * MiB, 1 * MiB, 1 * MiB, 0));

        AssertValid(plan, 10 * MiB);
        Assert.Equal(2, plan.Parts.Count);
        Assert.Equal(2 * MiB, plan.DownloadedBytes);
    }

    [Fact]
    public void WhenTheBroadcastIsEmpty_ThereAreNoParts() =>
        Assert.Empty(AssemblyPlanner.Plan(Segments()).Parts);

    [Fact]
    public void WhenTheBroadcastIsOneSmallSegment_ItIsCopiedWhole()
    {
        var plan = AssemblyPlanner.Plan(Segments(10));

        var part = Assert.Single(plan.Parts);
        Assert.True(part.Copy!.IsWholeSegment);
    }

    [Fact]
    public void WhenThereAreMoreThan10000Segments_PartsGrowAndStayWithinTheLimit()
    {
        var plan = AssemblyPlanner.Plan(Segments([.. Enumerable.Repeat(8 * MiB, 10_001)]));

        AssertValid(plan, 10_001 * 8 * MiB);
        Assert.True(plan.Parts.Count <= 10_000, $"{plan.Parts.Count} parts");
        Assert.True(plan.MinPartBytes > 8 * MiB);
    }

    [Fact]
    public void When10001TinySegments_TheyAreDownloadedIntoFewParts()
    {
        var plan = AssemblyPlanner.Plan(Segments([.. Enumerable.Repeat(1024L, 10_001)]));

        AssertValid(plan, 10_001 * 1024);
        Assert.Equal([AssemblyPlanner.FiveMiB, (10_001 * 1024) - AssemblyPlanner.FiveMiB], plan.Parts.Select(p => p.Length));
        Assert.Equal(10_001 * 1024, plan.DownloadedBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void WhenSegmentSizesAreRandom_EveryPlanCoversTheStreamWithinS3sLimits(int seed)
    {
        var random = new Random(seed);
        var sizes = Enumerable.Range(0, 200).Select(_ => random.Next(4) switch
        {
            0 => random.NextInt64(0, 64 * 1024),
            1 => random.NextInt64(1, 6 * MiB),
            _ => random.NextInt64(5 * MiB, 20 * MiB),
        }).ToArray();

        var plan = AssemblyPlanner.Plan(Segments(sizes));

        AssertValid(plan, sizes.Sum());
        // Only segments smaller than the floor, and pads taken from the heads of larger ones, are downloaded.
        var small = sizes.Where(s => s < plan.MinPartBytes).Sum();
        var pads = plan.Parts.Where(p => !p.IsCopy).Sum(p => p.Downloads.Where(d => d.Segment.Size >= plan.MinPartBytes).Sum(d => d.Length));
        Assert.Equal(small + pads, plan.DownloadedBytes);
    }

    private static void AssertValid(AssemblyPlan plan, long total)
    {
        Assert.Equal(total, plan.Bytes);
        Assert.True(plan.Parts.Count <= AssemblyPlanner.MaxParts);
        long offset = 0;
        for (var i = 0; i < plan.Parts.Count; i++)
        {
            var part = plan.Parts[i];
            Assert.Equal(i + 1, part.Number);
            if (i < plan.Parts.Count - 1)
            {
                Assert.True(part.Length >= AssemblyPlanner.FiveMiB, $"part {part.Number} has {part.Length} bytes");
            }
            Assert.True(part.Length <= 5L * 1024 * MiB);
            foreach (var piece in part.Copy is { } copy ? [copy] : part.Downloads)
            {
                Assert.Equal(offset, piece.Segment.Offset + piece.From);
                offset += piece.Length;
            }
            if (part.Copy is { } c)
            {
                Assert.True(c.IsWholeSegment || c.Segment.Size > AssemblyPlanner.FiveMiB, "a range is copied only from a source over 5 MB");
                Assert.Equal(c.Segment.Size, c.From + c.Length);
            }
        }
        Assert.Equal(total, offset);
    }

    private static List<SourceSegment> Segments(params long[] sizes)
    {
        var list = new List<SourceSegment>();
        long offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            list.Add(new SourceSegment(i + 1, $"b/{i + 1:D15}", offset, sizes[i], "AAAAAAAAAAA=", "\"e\""));
            offset += sizes[i];
        }
        return list;
    }
}
