using Microsoft.Extensions.Time.Testing;
using S3Fanout.Subscriber.Fleet;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>When catch-up runs again: after the queue policy's 60 s, after the filter policy's 15 minutes, then hourly.</summary>
public sealed class CatchUpScheduleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 18, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task WhenDefaultsApply_ReRunsFallAt60SecondsAnd15MinutesAfterSubscribingThenHourly()
    {
        var schedule = new CatchUpSchedule(new FleetOptions(), _time);
        var subscribed = _time.GetUtcNow();
        var due = new List<TimeSpan>();
        for (var rerun = 1; rerun <= 4; rerun++)
        {
            var wait = schedule.WaitAsync(rerun, CancellationToken.None);
            _time.Advance(schedule.DelayBefore(rerun) - TimeSpan.FromMilliseconds(1));
            Assert.False(wait.IsCompleted, $"re-run {rerun} came early, at {_time.GetUtcNow() - subscribed}");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await wait.Within($"re-run {rerun}");
            due.Add(_time.GetUtcNow() - subscribed);
        }

        Assert.Equal([TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(75), TimeSpan.FromMinutes(135)], due);
    }

    [Fact]
    public async Task WhenTheScheduleIsConfiguredShort_ItIsFollowed()
    {
        var schedule = new CatchUpSchedule(new FleetOptions
        {
            CatchUpFirstRerun = TimeSpan.FromSeconds(2),
            CatchUpSecondRerun = TimeSpan.FromSeconds(5),
            CatchUpInterval = TimeSpan.FromSeconds(4),
        }, _time);

        var third = schedule.WaitAsync(3, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(third.IsCompleted, "the slow interval's re-run came early");
        _time.Advance(TimeSpan.FromSeconds(1));
        await third.Within("the slow interval's re-run");
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4)], [schedule.DelayBefore(1), schedule.DelayBefore(2), schedule.DelayBefore(3)]);
    }

    [Theory]
    [InlineData("00:00:00.500", "00:15:00", "01:00:00", "S3Fanout:CatchUpFirstRerun")]
    [InlineData("00:01:00", "00:00:30", "01:00:00", "S3Fanout:CatchUpSecondRerun")]
    [InlineData("00:01:00", "00:15:00", "00:00:00", "S3Fanout:CatchUpInterval")]
    public void WhenTheScheduleIsImpossible_ValidationNamesTheSetting(string first, string second, string interval, string setting)
    {
        var options = new FleetOptions
        {
            CatchUpFirstRerun = TimeSpan.Parse(first, System.Globalization.CultureInfo.InvariantCulture),
            CatchUpSecondRerun = TimeSpan.Parse(second, System.Globalization.CultureInfo.InvariantCulture),
            CatchUpInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
            Channels = [new ChannelOptions { Url = "s3://fleet-bucket/in/", Sink = new SinkOptions { Type = "stdout" } }],
            MaxConcurrentBroadcasts = 1,
        };

        var result = new FleetOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(setting, Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
