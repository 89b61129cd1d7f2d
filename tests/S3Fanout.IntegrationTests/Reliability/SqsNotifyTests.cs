using System.Collections.Concurrent;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.Shared.Protocol;
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

        output.WriteLine($"segments announced per queue: {string.Join("; ", queues.Select(delivered.Describe))}");
        var segments = SegmentIndexes(data);
        Assert.All(queues, q => Assert.Equal(segments, delivered.SegmentsTo(q)));
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

        output.WriteLine($"refused: {proxy.Rules.Refusals("KmsAccessDenied")}; segments announced to the other queues: {string.Join("; ", queues.Skip(1).Select(delivered.Describe))}");
        var segments = SegmentIndexes(data);
        Assert.All(queues.Skip(1), q => Assert.Equal(segments, delivered.SegmentsTo(q)));
        Assert.Empty(delivered.SegmentsTo(queues[0]));
        // Every message meant for the refusing queue was refused: at least one per notice the others got.
        Assert.True(proxy.Rules.Refusals("KmsAccessDenied") >= delivered.MessagesTo(queues[1]));
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

    /// <summary>The indexes of the 1 MiB segments <paramref name="data"/> is published in, numbered from 1 as s3pipe2 numbers them.</summary>
    private static List<long> SegmentIndexes(TestData data) => [.. Enumerable.Range(1, (int)(data.Length / MiB) + 1).Select(i => (long)i)];

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

    /// <summary>
    /// What each queue accepted (SendMessage answered 200): its messages, and the segments they announce. The publisher
    /// coalesces the segments of one notify window into one message, so how many messages a queue gets depends on timing;
    /// which segments it was told of does not.
    /// </summary>
    private sealed class SqsDeliveries : AwsRule
    {
        private readonly ConcurrentDictionary<string, List<Notification>> _accepted = new(StringComparer.Ordinal);

        public int MessagesTo(string queueUrl) => Accepted(queueUrl).Count;

        /// <summary>The segment indexes announced to the queue, sorted, each once.</summary>
        public List<long> SegmentsTo(string queueUrl) => Accepted(queueUrl)
            .SelectMany(n => n switch
            {
                SegmentReady one => [one.Index],
                SegmentsReady many => many.Segments.Select(s => s.Index),
                _ => [],
            })
            .Distinct().Order().ToList();

        public string Describe(string queueUrl) => $"[{string.Join(",", SegmentsTo(queueUrl))}] in {MessagesTo(queueUrl)} messages";

        private List<Notification> Accepted(string queueUrl)
        {
            var list = _accepted.GetValueOrDefault(queueUrl);
            if (list is null)
            {
                return [];
            }
            lock (list)
            {
                return [.. list];
            }
        }

        public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
        {
            if (request.Service == AwsService.Sqs && request.Operation == "SendMessage" && answer.Status == 200
                && request.Json() is var json && json["QueueUrl"]?.GetValue<string>() is { } queue
                && NotificationCodec.TryParse(json["MessageBody"]?.GetValue<string>() ?? "", out var notification, out _))
            {
                var list = _accepted.GetOrAdd(queue, _ => []);
                lock (list)
                {
                    list.Add(notification);
                }
            }
            return answer;
        }
    }
}
