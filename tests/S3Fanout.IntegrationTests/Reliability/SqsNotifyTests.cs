using System.Collections.Concurrent;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>--notify sqs with more queues than one ListQueues page, and with a queue that refuses messages.</summary>
[Collection("emulator-reliability")]
public sealed class SqsNotifyTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenTheChannelHasMoreQueuesThanOneListPage_EveryQueueGetsEveryNotification()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 91);
        proxy.Rules.Add(new SqsListQueuesRule { PageSize = 2 }); // 2 stands for AWS's 1,000
        var delivered = proxy.Rules.Add(new SqsDeliveries());
        var (queues, subscribers, data, _) = await RunAsync(proxy, "sqs-pages", subscriberCount: 5);

        var counts = queues.Select(q => delivered.To(q)).ToList();
        output.WriteLine($"messages per queue: {string.Join(", ", counts)}");
        var segments = (int)(data.Length / MiB) + 1;
        Assert.All(counts, n => Assert.True(n >= segments, $"a queue got {n} messages, fewer than the {segments} segments: {string.Join(", ", counts)}"));
        await AssertAllExactAsync(subscribers, data);
    }

    [Fact]
    public async Task WhenOneQueueRefusesMessages_TheOtherQueuesGetEveryNotification_AndThatSubscriberFollowsTheManifest()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 92);
        string? refusing = null;
        proxy.Rules.Add(new SqsKmsDeniedQueueRule(q => q == Volatile.Read(ref refusing)));
        var delivered = proxy.Rules.Add(new SqsDeliveries());
        var (queues, subscribers, data, said) = await RunAsync(proxy, "sqs-isolated", subscriberCount: 3, beforePublish: listed => Volatile.Write(ref refusing, listed[0]));

        var counts = queues.Skip(1).Select(q => delivered.To(q)).ToList();
        output.WriteLine($"refused: {proxy.Rules.Refusals("KmsAccessDenied")}; messages to the other queues: {string.Join(", ", counts)}");
        var segments = (int)(data.Length / MiB) + 1;
        Assert.All(counts, n => Assert.True(n >= segments, $"a healthy queue got {n} messages, fewer than the {segments} segments"));
        Assert.True(proxy.Rules.Refusals("KmsAccessDenied") >= segments);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(said, "Could not notify queue"));
        await AssertAllExactAsync(subscribers, data);
    }

    /// <summary>Starts the subscribers, waits for their queues, then publishes through the proxy with --notify sqs.</summary>
    private async Task<(List<string> Queues, List<RunningProcess> Subscribers, TestData Data, string PublisherStderr)> RunAsync(
        FaultProxy proxy, string stem, int subscriberCount, Action<List<string>>? beforePublish = null)
    {
        var bucket = await emulator.CreateBucketAsync(stem);
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(4L * MiB + 99, seed: 93);
        var subscribers = new List<RunningProcess>();
        for (var i = 0; i < subscriberCount; i++)
        {
            subscribers.Add(_kit.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "sqs", "--poll-interval", "2s", "--stall-timeout", "60s", url)));
        }
        await _kit.WaitForSubscriberQueuesAsync(bucket, subscriberCount);
        var queues = await _kit.ListSubscriberQueuesAsync(bucket);
        beforePublish?.Invoke(queues);
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "--notify", "sqs", "-m", "1", url), stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 512 * 1024, TimeSpan.FromMilliseconds(50));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        return (queues, subscribers, data, publisher.Stderr);
    }

    private static async Task AssertAllExactAsync(List<RunningProcess> subscribers, TestData data)
    {
        foreach (var subscriber in subscribers)
        {
            await using (subscriber)
            {
                await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
                Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            }
        }
    }

    /// <summary>Counts the messages each queue accepted (SendMessage answered 200).</summary>
    private sealed class SqsDeliveries : AwsRule
    {
        private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

        public int To(string queueUrl) => _counts.GetValueOrDefault(queueUrl);

        public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
        {
            if (request.Service == AwsService.Sqs && request.Operation == "SendMessage" && answer.Status == 200
                && request.Json()["QueueUrl"]?.GetValue<string>() is { } queue)
            {
                _counts.AddOrUpdate(queue, 1, (_, n) => n + 1);
            }
            return answer;
        }
    }
}
