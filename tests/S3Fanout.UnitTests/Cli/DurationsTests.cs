using S3Fanout.Shared.Cli;
using Xunit;

namespace S3Fanout.UnitTests.Cli;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1s", 1000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5", 1500)]
    [InlineData("0.5s", 500)]
    [InlineData("  10S ", 10_000)]
    [InlineData("0", 0)]
    [InlineData("10000000", 10_000_000_000)]
    public void WhenTheTextIsADuration_ItParsesToThatLength(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value), $"'{text}' was rejected");
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("soon")]
    [InlineData("ms")]
    [InlineData("s")]
    [InlineData("1x")]
    [InlineData("1 s")]
    [InlineData("-1s")]
    [InlineData("1e3")]
    [InlineData("1,5")]
    [InlineData("1d")]
    [InlineData("10000001")]
    [InlineData("999999999999h")]
    [InlineData("Infinity")]
    public void WhenTheTextIsNotADuration_ItIsRejected(string text)
    {
        Assert.False(Durations.TryParse(text, out var value), $"'{text}' was accepted as {value}");
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("nans")]
    [InlineData("NaNms")]
    public void WhenTheTextIsNotANumber_ItIsRejectedRatherThanThrowing(string text)
    {
        var e = Record.Exception(() => Durations.TryParse(text, out _));

        Assert.True(e is null,
            $"'{text}' parses as double.NaN; TryParse must reject it, but it threw {e?.GetType().Name} (TimeSpan.FromSeconds(NaN))");
        Assert.False(Durations.TryParse(text, out _));
    }
}
