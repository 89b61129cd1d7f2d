using System.Globalization;
using System.Text.Json;
using Amazon.SQS.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary><c>cleanup-queues</c> removes the queues that killed subscribers left, and nothing else.</summary>
[Collection("emulator-fleet")]
public sealed class CleanupQueuesTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task WhenAQueueOwnerIsGone_CleanupDeletesItAndKeepsLiveAndForeignQueues()
    {
        var bucket = await emulator.CreateBucketAsync("janitor");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Seconds(long s) => s.ToString(CultureInfo.InvariantCulture);
        var dead = await CreateAsync($"s3fanout-{bucket}-dead0000", new() { ["s3fanout:bucket"] = bucket, ["s3fanout:created"] = Seconds(now - 7200), ["s3fanout:alive"] = Seconds(now - 7200) });
        var live = await CreateAsync($"s3fanout-{bucket}-live0000", new() { ["s3fanout:bucket"] = bucket, ["s3fanout:created"] = Seconds(now - 7200), ["s3fanout:alive"] = Seconds(now - 60) });
        var foreign = await CreateAsync($"s3fanout-{bucket}-other000", []);

        await using var dryRun = ProcessRunner.StartSubscriber(["cleanup-queues", "--dry-run", "--older-than", "1h", $"s3://{bucket}"], new ProcessOptions { Environment = emulator.ChildEnvironment });
        await dryRun.EnsureExitCodeAsync(TimeSpan.FromSeconds(60), 0);
        Assert.Contains("would delete", dryRun.StdoutText, StringComparison.Ordinal);
        Assert.Equal(3, (await new ScenarioKit(emulator).ListSubscriberQueuesAsync(bucket)).Count);

        // --json: the project's JSON convention, snake_case names.
        await using var json = ProcessRunner.StartSubscriber(["cleanup-queues", "--dry-run", "--json", "--older-than", "1h", $"s3://{bucket}"], new ProcessOptions { Environment = emulator.ChildEnvironment });
        await json.EnsureExitCodeAsync(TimeSpan.FromSeconds(60), 0);
        using (var doc = JsonDocument.Parse(json.StdoutText))
        {
            var queue = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.EndsWith(dead, queue.GetProperty("queue_url").GetString(), StringComparison.Ordinal);
            Assert.Equal(now - 7200, queue.GetProperty("last_alive").GetDateTimeOffset().ToUnixTimeSeconds());
            Assert.False(queue.GetProperty("deleted").GetBoolean());
            Assert.Equal(["deleted", "host", "last_alive", "pid", "queue_url", "unsubscribed"], queue.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        }

        await using var run = ProcessRunner.StartSubscriber(["cleanup-queues", "--older-than", "1h", $"s3://{bucket}"], new ProcessOptions { Environment = emulator.ChildEnvironment });
        await run.EnsureExitCodeAsync(TimeSpan.FromSeconds(60), 0);
        Assert.Contains("1 orphaned queue(s) deleted", run.StdoutText, StringComparison.Ordinal);
        var left = await new ScenarioKit(emulator).ListSubscriberQueuesAsync(bucket);
        Assert.DoesNotContain(left, u => u.EndsWith(dead, StringComparison.Ordinal));
        Assert.Contains(left, u => u.EndsWith(live, StringComparison.Ordinal));
        Assert.Contains(left, u => u.EndsWith(foreign, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheThresholdIsShorterThanTheAliveInterval_CleanupRefuses()
    {
        await using var run = ProcessRunner.StartSubscriber(["cleanup-queues", "--older-than", "1m", "s3://some-bucket"], new ProcessOptions { Environment = emulator.ChildEnvironment });
        Assert.Equal(2, await run.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--older-than must be at least", ScenarioKit.AssertOneErrorLine(run, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    private async Task<string> CreateAsync(string name, Dictionary<string, string> tags)
    {
        var request = new CreateQueueRequest { QueueName = name };
        if (tags.Count > 0)
        {
            request.Tags = tags;
        }
        await emulator.Sqs.CreateQueueAsync(request);
        return name;
    }
}
