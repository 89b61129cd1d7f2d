using System.Diagnostics;
using Amazon.SQS.Model;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>
/// The service recovers by itself, without a restart: from notifications SNS never delivered (catch-up runs again), from
/// failing receives (the health file says so, then recovers), and from its queue being deleted (it subscribes a new one).
/// </summary>
[Collection("emulator-fleet")]
public sealed class FleetRecoveryTests(EmulatorFixture emulator, ITestOutputHelper output) : IDisposable
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(90);
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenEveryNotificationOfAShortBroadcastIsLost_ACatchUpReRunMirrorsItOnceWithoutARestart()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-rerun");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 61);
        // SNS drops deliveries while a new subscription's policies propagate and never retries them: here, all of them.
        proxy.Plan = new FaultPlan { SqsDrop = 1.0 };
        var config = _fleet.WriteConfig("rerun", $"s3://{bucket}/jobs/", extra: new()
        {
            ["EndpointUrl"] = proxy.Endpoint.ToString(),
            ["CatchUpFirstRerun"] = "00:00:12",
            ["CatchUpSecondRerun"] = "00:00:18",
            ["CatchUpInterval"] = "00:00:05",
        });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var clock = Stopwatch.StartNew();

        var data = new TestData(3L * MiB, seed: 62);
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/short", data, "-m", "1");
        var published = clock.Elapsed;
        var path = Path.Combine(_fleet.SinkDir("rerun"), "short");
        Assert.False(File.Exists(path), "the broadcast was mirrored before any re-run, so no notification was lost");

        await Poll.UntilAsync(() => File.Exists(path) || service.HasExited, s_deadline, "a catch-up re-run to mirror the missed broadcast");
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        var found = clock.Elapsed;
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
        Assert.True(proxy.Counts.Injected(FaultKind.SqsDrop) > 0, "no notification was dropped");

        // Later re-runs list it again and leave it alone: it is recorded as mirrored.
        var reruns = Count(service.Stderr, "Catch-up again");
        await Poll.UntilAsync(() => Count(service.Stderr, "Catch-up again") >= reruns + 2, s_deadline, "two more re-runs");
        Assert.Equal(1, Count(service.Stderr, $"Mirroring s3://{bucket}/jobs/short into"));
        output.WriteLine($"published in {published.TotalSeconds:0.0} s, mirrored {found.TotalSeconds:0.0} s after the service was ready; {proxy.Counts.Injected(FaultKind.SqsDrop)} notifications dropped");
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task WhenReceivesFail_TheHealthFileSaysFailingWithinTheBoundAndOkAfter()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-health");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 63);
        var health = Path.Combine(_fleet.Root, "health.json");
        var config = _fleet.WriteConfig("health", $"s3://{bucket}/", extra: new()
        {
            ["EndpointUrl"] = proxy.Endpoint.ToString(),
            ["HealthFile"] = health,
            ["ReceiveFailingAfter"] = "00:00:05",
        });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        await Poll.UntilAsync(() => Status(health) == "ok", s_deadline, "the health file to say ok");

        proxy.Plan = new FaultPlan { Error500 = 1.0, Eligible = r => r.Service == AwsService.Sqs && r.Operation == "ReceiveMessage" };
        var clock = Stopwatch.StartNew();
        await Poll.UntilAsync(() => Status(health) == "failing" || service.HasExited, TimeSpan.FromSeconds(60), "the health file to say failing");
        var detected = clock.Elapsed;
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        Assert.Contains("receiving notifications has failed", FleetKit.ReadHealth(health)!["last_error"].GetString(), StringComparison.Ordinal);
        // 5 s without a successful receive, plus the receive in flight when the fault began (up to its 20 s long poll and
        // the SDK's retries), plus the health file's 5 s interval.
        Assert.True(detected < TimeSpan.FromSeconds(45), $"failing was reported after {detected.TotalSeconds:0.0} s");

        proxy.Plan = FaultPlan.None;
        var healed = Stopwatch.StartNew();
        await Poll.UntilAsync(() => Status(health) == "ok" || service.HasExited, TimeSpan.FromSeconds(60), "the health file to say ok again");
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        output.WriteLine($"failing after {detected.TotalSeconds:0.0} s of failed receives ({proxy.Counts.Injected(FaultKind.Error500)} answered 500), ok again {healed.Elapsed.TotalSeconds:0.0} s after they stopped");
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task WhenTheServicesQueueIsDeleted_ItSubscribesANewQueueAndMirrorsTheNextBroadcastWithoutARestart()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-requeue");
        var config = _fleet.WriteConfig("requeue", $"s3://{bucket}/jobs/");
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var old = Assert.Single(await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket));
        var oldArn = (await emulator.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = old, AttributeNames = ["QueueArn"] })).QueueARN;

        // As cleanup-queues does to a queue it takes for an orphan.
        await emulator.Sqs.DeleteQueueAsync(old);
        var clock = Stopwatch.StartNew();
        var replacement = await Poll.ForValueAsync(async () => (await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket)).SingleOrDefault(q => q != old),
            s_deadline, "a new queue of the service");
        await Poll.UntilAsync(() => Count(service.Stderr, "subscribed to") >= 2 || service.HasExited, s_deadline, "the new queue to be subscribed");
        var resubscribed = clock.Elapsed;
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());

        var data = new TestData(2L * MiB, seed: 64);
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/after", data, "-m", "1");
        var path = Path.Combine(_fleet.SinkDir("requeue"), "after");
        await Poll.UntilAsync(() => File.Exists(path) || service.HasExited, s_deadline, "the next broadcast to be mirrored");
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));

        // The old queue's subscription is gone; the topic delivers to the new queue only.
        using var sns = new SnsClient(new SnsClientOptions { ServiceUrl = emulator.Endpoint, Region = emulator.Region }, emulator.Credentials);
        var topicArn = await ChannelTopic.OpenAsync(sns, ChannelNames.DefaultTopicName(bucket), CancellationToken.None);
        var endpoints = (await sns.ListSubscriptionsByTopicAsync(topicArn, null, CancellationToken.None)).Subscriptions.Select(s => s.Endpoint).ToList();
        var newArn = (await emulator.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = replacement, AttributeNames = ["QueueArn"] })).QueueARN;
        Assert.DoesNotContain(oldArn, endpoints);
        Assert.Equal([newArn], endpoints);
        output.WriteLine($"new queue subscribed {resubscribed.TotalSeconds:0.0} s after the old one was deleted");
        await FleetKit.StopAsync(service);
    }

    public void Dispose() => _fleet.Dispose();

    private static int Count(string text, string what) => text.Split(what).Length - 1;

    private static string? Status(string path) => FleetKit.ReadHealth(path)?["status"].GetString();
}
