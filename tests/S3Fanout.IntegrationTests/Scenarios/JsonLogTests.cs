using System.Text.Json;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>S3FANOUT_LOG_FORMAT=json: every stderr line of a verbose run is a JSON object, and stdout stays data.</summary>
[Collection("emulator")]
public sealed class JsonLogTests(EmulatorFixture emulator)
{
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenJsonLogsAreAskedFor_EveryStderrLineIsAJsonObject()
    {
        var bucket = await emulator.CreateBucketAsync("jsonlog");
        var env = emulator.ChildEnvironmentWith(("S3FANOUT_LOG_FORMAT", "json"));
        var data = new TestData(2L * 1024 * 1024, seed: 12);
        await using (var publisher = _kit.StartPublisher(["-v", "-m", "1", ScenarioKit.Url(bucket, "j")], stdin: data.OpenRead(), environment: env))
        {
            await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            AssertJsonLines(publisher.Stderr, "Stored segment");
        }
        await using var subscriber = _kit.StartSubscriber(["-v", ScenarioKit.Url(bucket, "j")], environment: env);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        AssertJsonLines(subscriber.Stderr, "Stream verified");
    }

    private static void AssertJsonLines(string stderr, string expectedMessage)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var messages = lines.Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("Message").GetString() ?? "";
        }).ToList();
        Assert.Contains(messages, m => m.StartsWith(expectedMessage, StringComparison.Ordinal));
    }
}
