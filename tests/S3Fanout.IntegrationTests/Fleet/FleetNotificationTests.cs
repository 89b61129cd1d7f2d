using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.SQS.Model;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>
/// Notifications the mirror service cannot take at their word: SQS delivers each at least once, and anyone allowed to
/// publish to a channel's topic can send any name. Delivered straight to the service's own queue, as SQS would.
/// </summary>
[Collection("emulator-fleet")]
public sealed class FleetNotificationTests(EmulatorFixture emulator, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenBeginIsDeliveredAgainAfterTheMirrorIsDone_TheCommandRunsOnceUntilANewRunBegins()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-dup");
        var runs = Path.Combine(_fleet.Root, "runs.log");
        // Each run of the command appends a line, so the file counts the runs.
        var config = _fleet.WriteConfig("d", $"s3://{bucket}/p/", new { Type = "command", Command = $"cat > /dev/null; echo run >> {ScenarioKit.ShellQuote(runs)}" });
        // A probe queue on the channel's topic keeps a copy of each notification, so the real begin can be delivered twice.
        using var sns = new SnsClient(new SnsClientOptions { ServiceUrl = emulator.Endpoint, Region = emulator.Region }, emulator.Credentials);
        var topicArn = await sns.CreateTopicAsync(ChannelNames.DefaultTopicName(bucket), tags: null, CancellationToken.None);
        var probe = await emulator.CreateQueueAsync("fleet-dup-probe");
        await sns.SubscribeAsync(topicArn, "sqs", probe.Arn, new Dictionary<string, string> { ["RawMessageDelivery"] = "true" }, CancellationToken.None);

        await using var service = _fleet.StartService(config, "-v");
        await FleetKit.WaitUntilReadyAsync(service);
        var queue = Assert.Single(await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket));
        var mirrored = $"Mirrored s3://{bucket}/p/x:";
        await _fleet.Scenarios.PublishAsync(bucket, "p/x", new TestData(1024 * 1024, seed: 31));
        await Poll.UntilAsync(() => Count(service.Stderr, mirrored) == 1, s_deadline, "the first mirror of p/x");
        var begin = await ReceiveBeginAsync(probe.Url);

        await emulator.Sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queue, MessageBody = begin });
        await Poll.UntilAsync(() => service.Stderr.Contains("Ignoring a repeated begin", StringComparison.Ordinal) || Runs(runs) > 1,
            s_deadline, "the service to handle the repeated begin");
        Assert.Equal(1, Runs(runs));
        Assert.Equal(1, Count(service.Stderr, mirrored));

        // The same name published again is a new run, with its own upload_began: that one is mirrored.
        await _fleet.Scenarios.PublishAsync(bucket, "p/x", new TestData(1024 * 1024, seed: 32), "--force");
        await Poll.UntilAsync(() => Count(service.Stderr, mirrored) == 2, s_deadline, "the second run of p/x to be mirrored");
        Assert.Equal(2, Runs(runs));
        Assert.False(service.HasExited, service.StderrTail());
        output.WriteLine($"repeated begin ignored; {Runs(runs)} command runs for two runs of the broadcast");
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task WhenHostileNotificationsArrive_ServeKeepsRunningAndMirrorsTheRealBroadcast()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-forged");
        var health = Path.Combine(_fleet.Root, "health.json");
        // A short stall timeout ends the job of a forged begin soon: nothing ever follows it.
        var config = _fleet.WriteConfig("f", $"s3://{bucket}/in/", extra: new()
        {
            ["HealthFile"] = health,
            ["StallTimeout"] = "00:00:03",
            ["PollInterval"] = "00:00:00.500",
        });
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var queue = Assert.Single(await _fleet.Scenarios.ListSubscriberQueuesAsync(bucket));
        string Begin(string name, string sentAt) =>
            $"{{\"type\":\"begin\",\"v\":1,\"bucket\":\"{bucket}\",\"broadcast\":\"{name}\",\"sentAt\":\"{sentAt}\",\"segmentSize\":1048576}}";

        // A trailing '/' names the broadcast in/forged; its job fails once the stall timeout passes.
        await Send(service, queue, Begin("in/forged/", "2025-01-01T00:00:00Z"));
        await Poll.UntilAsync(() => service.Stderr.Contains($"Mirroring s3://{bucket}/in/forged failed", StringComparison.Ordinal) || service.HasExited,
            s_deadline, "the forged broadcast's job to end");
        // More for that name once its job is gone, and names that are no broadcast at all.
        foreach (var body in new[]
        {
            $"{{\"type\":\"heartbeat\",\"v\":1,\"bucket\":\"{bucket}\",\"broadcast\":\"in/forged/\",\"sentAt\":\"2025-01-01T00:00:01Z\",\"storedSegments\":1,\"storedBytes\":1}}",
            Begin("in/forged/", "2025-01-02T00:00:00Z"),
            Begin("in/../../etc", "2025-01-01T00:00:00Z"),
            Begin("in/a//b", "2025-01-01T00:00:00Z"),
            Begin("in/bell\\u0007", "2025-01-01T00:00:00Z"),
            Begin("in/" + new string('x', 1000), "2025-01-01T00:00:00Z"),
            Begin("in//", "2025-01-01T00:00:00Z"),
            "{\"type\":\"begin\",\"v\":1,\"bucket\":\"" + bucket + "\",\"broadcast\":{\"nested\":true}}",
        })
        {
            await Send(service, queue, body);
        }

        var good = new TestData(2L * 1024 * 1024, seed: 33);
        await _fleet.Scenarios.PublishAsync(bucket, "in/real", good, "-m", "1");
        var path = Path.Combine(_fleet.SinkDir("f"), "real");
        await Poll.UntilAsync(() => File.Exists(path) || service.HasExited, s_deadline, "the real broadcast to be mirrored");
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        Assert.Equal(good.Sha256, await FleetKit.Sha256Async(path));

        // Every job ended and left the table: nothing is queued or active for good.
        var idle = await Poll.ForValueAsync(() => Task.FromResult(ReadHealth(health) is { Queued: 0, Active: 0 } h ? h : null),
            TimeSpan.FromSeconds(30), "the health file to show no queued or active broadcast");
        output.WriteLine($"health after the hostile messages: {idle}");
        Assert.False(service.HasExited, "serve stopped: " + service.StderrTail());
        ScenarioKit.AssertNoStackTrace(service.Stderr, service.CommandLine);
        await FleetKit.StopAsync(service);
    }

    public void Dispose() => _fleet.Dispose();

    /// <summary>Delivers <paramref name="body"/> to the service's queue, which exists only while the service runs.</summary>
    private async Task Send(RunningProcess service, string queue, string body)
    {
        try
        {
            await emulator.Sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queue, MessageBody = body });
        }
        catch (QueueDoesNotExistException)
        {
            var code = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Fail($"serve stopped (exit {code}) and deleted its queue:\n{service.StderrTail()}");
        }
    }

    private Task<string> ReceiveBeginAsync(string probeUrl) => Poll.ForValueAsync(async () =>
    {
        var received = await emulator.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = probeUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
        return received.Messages?.Select(m => m.Body).FirstOrDefault(b => b.Contains("\"type\":\"begin\"", StringComparison.Ordinal));
    }, s_deadline, "the publisher's begin on the probe queue");

    private static int Runs(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;

    private static int Count(string text, string what) => Regex.Count(text, Regex.Escape(what));

    /// <summary>The health file's counts, whatever the casing of its names.</summary>
    private static Health? ReadHealth(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int Get(string name) => doc.RootElement.EnumerateObject().First(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value.GetInt32();
        return new Health(Get("queued"), Get("active"));
    }

    private sealed record Health(int Queued, int Active);
}
