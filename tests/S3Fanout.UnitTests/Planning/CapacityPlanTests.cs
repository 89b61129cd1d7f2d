using S3Fanout.Subscriber.Planning;
using Xunit;

namespace S3Fanout.UnitTests.Planning;

/// <summary>The plan's arithmetic, each figure worked out by hand from the issue's numbers.</summary>
public sealed class CapacityPlanTests
{
    // 100 MB/s in 8 MiB segments: 100,000,000 / 8,388,608 = 11.920928955 segments a second.
    private const double SegmentsPerSecond = 100_000_000.0 / 8_388_608;

    private static CapacityPlan Plan(long subscribers, int replicas = 0, int relays = 0, double bytesPerSecond = 100e6, long segmentMiB = 8, int windowMs = 250) =>
        new(new PlanInputs
        {
            BytesPerSecond = bytesPerSecond,
            SegmentMiB = segmentMiB,
            Subscribers = subscribers,
            Replicas = replicas,
            Relays = relays,
            NotifyWindow = TimeSpan.FromMilliseconds(windowMs),
        });

    private static PlanLine Line(CapacityPlan plan, string startsWith) => Assert.Single(plan.Lines, l => l.Component.StartsWith(startsWith, StringComparison.Ordinal));

    [Fact]
    public void WhenTenThousandReadOneKey_TheGetsPerPrefixAreOverTheQuota()
    {
        var plan = Plan(10_000);

        Assert.Equal(10_000 * SegmentsPerSecond, plan.GetsPerPrefix, 3);
        Assert.True(Line(plan, "S3 GETs/s per prefix (origin").Over);
        Assert.Equal(21, plan.ReplicasNeeded);
    }

    [Fact]
    public void WhenTheSuggestedReplicasAreUsed_EveryLineFits()
    {
        var plan = Plan(10_000, replicas: 21);

        Assert.Equal(10_000 * SegmentsPerSecond / 22, plan.GetsPerPrefix, 3);
        Assert.All(plan.Lines, l => Assert.False(l.Over, l.Component));
        Assert.Empty(plan.Suggestions());
    }

    [Fact]
    public void WhenTheStreamIsSlow_OneSegmentsReadsStillLandWithinOneReceiveCycle()
    {
        // 1 MB/s in 8 MiB segments is 0.12 segments a second, but all 10,000 readers of a segment come within ~1 s.
        var plan = Plan(10_000, bytesPerSecond: 1e6);

        Assert.Equal(10_000, plan.GetsPerPrefix, 3);
        Assert.True(Line(plan, "S3 GETs/s per prefix").Over);
    }

    [Fact]
    public void WhenSegmentsComeFasterThanTheWindow_ASubscriberMakesTwoSqsRequestsASecond()
    {
        // 20 segments/s (5 MiB/s of 256 KiB segments would need -m below 1; 160 MiB/s of 8 MiB ones is the same rate).
        var plan = Plan(1, bytesPerSecond: 20 * 8 * 1048576.0);

        Assert.Equal(4, plan.NotificationsPerSecond, 6);
        Assert.Equal(1, plan.ReceivesPerSubscriber, 6);
        Assert.Equal(1, plan.DeletesPerSubscriber, 6);
        Assert.Equal(2, plan.SqsPerSubscriber, 6);
        Assert.False(Line(plan, "SQS requests/s per subscriber").Over);
    }

    [Fact]
    public void WhenTheWindowIsTooShort_TenMessagesAReceiveAreNotEnoughAndTheTargetIsMissed()
    {
        // 200 segments/s, 10 ms window: 100 notifications a second, 10 receives and 10 batch deletes.
        var plan = Plan(1, bytesPerSecond: 200 * 8 * 1048576.0, windowMs: 10);

        Assert.Equal(20, plan.SqsPerSubscriber, 6);
        Assert.True(Line(plan, "SQS requests/s per subscriber").Over);
        Assert.Contains(plan.Suggestions(), s => s.Contains("--notify-window", StringComparison.Ordinal));
    }

    [Fact]
    public void WhenSegmentsAreRare_EachOneCostsOneReceiveAndOneDelete()
    {
        // 0.1 segments a second: a receive returns with each message, so 0.1 receives and 0.1 deletes a second.
        var plan = Plan(1, bytesPerSecond: 0.1 * 8 * 1048576.0);

        Assert.Equal(0.2, plan.SqsPerSubscriber, 6);
    }

    [Fact]
    public void TheDollarsAnHourAreRequestsTimesTheTablesPrices()
    {
        var plan = Plan(10_000);

        // GETs: 10,000 × 11.92/s × 3600 × $0.0004/1000; PUTs: 11.92 × 3600 × $0.005/1000; SQS: 10,000 × 2 × 3600 × $0.40/1e6;
        // SNS: 4 × 3600 × $0.50/1e6; transfer: free.
        var expected = (10_000 * SegmentsPerSecond * 3600 * 0.0004 / 1000) + (SegmentsPerSecond * 3600 * 0.005 / 1000)
            + (10_000 * 2 * 3600 * 0.40 / 1e6) + (4 * 3600 * 0.50 / 1e6);
        Assert.Equal(expected, (double)plan.DollarsPerHour, 4);
        Assert.Equal(171.6614, (double)plan.Costs.Single(c => c.Price == PriceTable.S3Get).DollarsPerHour, 3);
    }

    [Fact]
    public void WhenRelaysCarryTheSubscribers_TheOriginIsReadOnlyByTheRelays()
    {
        var plan = Plan(10_000, replicas: 2, relays: 10);

        Assert.Equal(1_000, plan.ReadersPerTier);
        Assert.Equal(1_000 * SegmentsPerSecond / 3, plan.GetsPerPrefix, 3);
        Assert.Equal(10 * SegmentsPerSecond, plan.OriginGetsPerPrefix, 3);
        Assert.Equal(44, plan.SnsPublishesPerSecond, 6);
        Assert.Equal(100.1, plan.JoinSeconds, 6);
        // The publisher's and each relay's copies: 11 tiers × 3 keys per segment, at the PUT price.
        Assert.Equal(11 * 3 * SegmentsPerSecond * 3600, plan.Costs.Single(c => c.Price == PriceTable.S3Put).UnitsPerHour, 1);
        Assert.All(plan.Lines, l => Assert.False(l.Over, l.Component));
    }

    [Fact]
    public void TheChannelTopologyUsesNoFilterPolicy()
    {
        Assert.Equal(0, Line(Plan(10_000), "SNS filter policies per topic").Value);
    }

    [Fact]
    public void EveryPriceNamesItsSourceAndDate()
    {
        Assert.All(PriceTable.All, p =>
        {
            Assert.StartsWith("https://aws.amazon.com/", p.Source, StringComparison.Ordinal);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", p.LookedUp);
        });
        Assert.Equal(0.0004m / 1000, PriceTable.S3Get.For(1));
        Assert.Equal(0.005m / 1000, PriceTable.S3Put.For(1));
        Assert.Equal(0.40m / 1_000_000, PriceTable.SqsRequest.For(1));
        Assert.Equal(0.50m / 1_000_000, PriceTable.SnsPublish.For(1));
        Assert.Equal(0m, PriceTable.TransferSameRegion.For(1000));
    }

    [Theory]
    [InlineData("100MB/s", 100e6)]
    [InlineData("1.5GiB/s", 1.5 * 1024 * 1024 * 1024)]
    [InlineData("800KB", 800e3)]
    [InlineData("64kib/s", 65536)]
    [InlineData("1000", 1000)]
    public void ARateIsReadWithItsUnit(string text, double expected)
    {
        Assert.True(ByteRate.TryParse(text, out var rate));
        Assert.Equal(expected, rate, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("-1MB/s")]
    [InlineData("0MB/s")]
    [InlineData("10 parsecs")]
    public void ARateThatIsNotOneIsRefused(string text) => Assert.False(ByteRate.TryParse(text, out _));
}
