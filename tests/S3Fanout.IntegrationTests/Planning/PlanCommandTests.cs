using System.Text.Json;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Planning;

/// <summary><c>s3fanout-subscribe plan</c> as a user runs it: no AWS, text or JSON on stdout, one line and exit 2 for bad input.</summary>
public sealed class PlanCommandTests
{
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WhenTenThousandSubscribersArePlanned_TheGetLineIsOverAndTheSuggestedReplicasFit()
    {
        var over = await JsonAsync("--rate", "100MB/s", "--segment-size", "8", "--subscribers", "10000", "--json");
        Assert.False(over.GetProperty("fits").GetBoolean());
        var get = over.GetProperty("lines").EnumerateArray().First();
        Assert.StartsWith("S3 GETs/s per prefix", get.GetProperty("component").GetString(), StringComparison.Ordinal);
        Assert.Equal("OVER", get.GetProperty("status").GetString());
        Assert.Equal(119_209.3, get.GetProperty("value").GetDouble(), 1);
        Assert.Equal(200.68, over.GetProperty("dollars_per_hour").GetDouble(), 2);
        // 21 replicas would be needed, more than a publisher writes (16): the plan says so and suggests relays with replicas.
        Assert.Contains(over.GetProperty("suggestions").EnumerateArray(), s => s.GetString()!.StartsWith("replicas alone cannot: 21 would be needed, at most 16", StringComparison.Ordinal));
        Assert.Contains(over.GetProperty("suggestions").EnumerateArray(), s => s.GetString()!.StartsWith("or --relays 10 --replicas 2", StringComparison.Ordinal));

        var fits = await JsonAsync("--rate", "100MB/s", "--subscribers", "10000", "--relays", "10", "--replicas", "2", "--json");
        Assert.True(fits.GetProperty("fits").GetBoolean());
        Assert.All(fits.GetProperty("costs").EnumerateArray(), c => Assert.StartsWith("https://aws.amazon.com/", c.GetProperty("source").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenPrintedAsText_EachLineSaysOkOrOverWithItsQuotaAndTheTotalIsThere()
    {
        await using var plan = ProcessRunner.StartSubscriber(["plan", "--rate", "100MB/s", "--subscribers", "1000", "--relays", "10"]);
        await plan.EnsureExitCodeAsync(s_quick, 0);
        var lines = plan.StdoutText.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("OK    S3 GETs/s per prefix (each relay, 100 readers", StringComparison.Ordinal));
        Assert.All(lines.Where(l => l.Contains("(quota: ", StringComparison.Ordinal)), l => Assert.Matches("^(OK|OVER) ", l));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("total", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--rate", "fast", "--rate 'fast' is not a rate")]
    [InlineData("--subscribers", "0", "--subscribers must be 1-")]
    public async Task WhenAnInputIsBad_ItExits2WithOneLine(string option, string value, string expected)
    {
        string[] args = ["plan", "--rate", "1MB/s", "--subscribers", "5"];
        args[Array.IndexOf(args, option) + 1] = value;
        await using var plan = ProcessRunner.StartSubscriber(args);
        Assert.Equal(2, await plan.WaitForExitAsync(s_quick));
        Assert.Contains(expected, ScenarioKit.AssertOneErrorLine(plan, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> JsonAsync(params string[] args)
    {
        await using var plan = ProcessRunner.StartSubscriber(["plan", .. args]);
        await plan.EnsureExitCodeAsync(s_quick, 0);
        return JsonDocument.Parse(plan.StdoutText).RootElement.Clone();
    }
}
