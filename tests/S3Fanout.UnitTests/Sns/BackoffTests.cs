using S3Fanout.Shared.Aws;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(6, 3200)]
    [InlineData(7, 5000)]
    [InlineData(1000, 5000)]
    public void WhenTheRandomDrawIsAtItsTop_TheDelayIsTheCappedExponentialCeiling(int attempt, int ceilingMs)
    {
        var delay = Backoff.Delay(attempt, new FixedRandom(1.0));

        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), delay);
    }

    [Fact]
    public void WhenTheRandomDrawIsZero_TheDelayIsOneMillisecond() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1), Backoff.Delay(5, new FixedRandom(0.0)));

    [Fact]
    public void WhenDrawnManyTimes_DelaysStayWithinTheCeilingAndSpreadOut()
    {
        var rng = new Random(42);
        var delays = Enumerable.Range(0, 200).Select(_ => Backoff.Delay(3, rng)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromMilliseconds(400)));
        Assert.True(delays.Distinct().Count() > 100);
    }

    [Theory]
    [InlineData(0.0, 200)]
    [InlineData(0.5, 300)]
    [InlineData(1.0, 400)]
    public void EqualJitter_KeepsHalfTheCeilingAndDrawsTheOtherHalf(double draw, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.EqualJitterDelay(3, new FixedRandom(draw)));

    [Fact]
    public void EqualJitter_SevenRetriesOfAStepWaitAtLeastHalfTheirCeilings()
    {
        var least = Enumerable.Range(1, 7).Sum(a => Backoff.EqualJitterDelay(a, new FixedRandom(0.0), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10)).TotalSeconds);

        Assert.Equal(17.75, least, precision: 3);
    }

    [Fact]
    public void WhenTheAttemptIsBelowOne_ItIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0));
}
