using S3Fanout.Subscriber.Fleet;
using Xunit;

namespace S3Fanout.UnitTests.Fleet;

/// <summary>Sink:ExitTimeout is checked at start: a timer past about 49 days cannot even be set, so 7 days is the top.</summary>
public sealed class SinkExitTimeoutValidationTests
{
    private static FleetOptions With(TimeSpan exitTimeout) => new()
    {
        Channels = [new ChannelOptions { Url = "s3://fleet-bucket/in/", Sink = new SinkOptions { Type = "command", Command = "cat > /dev/null", ExitTimeout = exitTimeout } }],
    };

    [Theory]
    [InlineData(0.5)]
    [InlineData(8 * 24 * 3600.0)]
    [InlineData(60 * 24 * 3600.0)]
    public void AnExitTimeoutOutOfRange_IsRefusedNamingTheSetting(double seconds)
    {
        var result = new FleetOptionsValidator().Validate(null, With(TimeSpan.FromSeconds(seconds)));

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("S3Fanout:Channels:0:Sink:ExitTimeout must be from 1s to 7 days", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDefaultExitTimeout_IsAccepted() =>
        Assert.True(new FleetOptionsValidator().Validate(null, With(new SinkOptions().ExitTimeout)).Succeeded);
}
