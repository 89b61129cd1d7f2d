using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// What a subscriber costs in SQS requests (<see cref="SqsRequestCounter"/>), at 20 segments a second: coalesced
/// notifications (one message per 250 ms window), receives paced 1.5 s apart and one DeleteMessageBatch per receive keep
/// each subscriber, and the service, at 2 SQS requests or fewer per second of broadcast (issue 12's target). The
/// subscribers read the manifest only every 30 s, so they keep up only through their notifications.
/// </summary>
[Collection("emulator-fleet")]
public sealed class SqsRequestEconomyTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const double TargetPerSecond = 2.0;
    private const int Subscribers = 2;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Feed = TimeSpan.FromSeconds(20);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task At_twenty_segments_a_second_each_subscriber_makes_at_most_two_SQS_requests_a_second_of_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("sqs-economy");
        var url = $"s3://{bucket}/stream";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 61);
        var sqs = proxy.Rules.Add(new SqsRequestCounter());
        var delivered = proxy.Rules.Add(new DeliveryCounter());
        var segments = CountSegmentPuts(proxy);

        var subscribers = new List<RunningProcess>();
        try
        {
            for (var i = 0; i < Subscribers; i++)
            {
                subscribers.Add(await NotifiedRun.StartSubscribedAsync(_kit, proxy, url, Bound));
            }
            var (data, broadcast) = await PublishAtTwentyASecondAsync(proxy, url);
            foreach (var s in subscribers)
            {
                var code = await s.WaitForExitAsync(TimeSpan.FromSeconds(15));
                Assert.True(code == 0, $"subscriber exit {code}:\n{s.StderrTail()}");
                Assert.Equal(data.Sha256, s.StdoutSha256);
            }
            var perQueue = sqs.ByQueue.Values.ToList();
            var rate = segments.Count / broadcast.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{segments.Count} segments in {broadcast.TotalSeconds:0.0} s ({rate:0.0}/s); {delivered.Messages} messages delivered; SQS per subscriber: {string.Join(", ", perQueue.Select(n => (n / broadcast.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture)))} requests/s ({sqs})"));

            Assert.True(rate >= 15, $"the broadcast ran at {rate:0.0} segments/s, not about 20");
            Assert.Equal(Subscribers, perQueue.Count);
            Assert.True(delivered.Messages > 0, "no notification was delivered");
            // Everything each subscriber's queue cost, its creation and deletion included, over the broadcast's length.
            Assert.All(perQueue, n => Assert.True(n / broadcast.TotalSeconds <= TargetPerSecond,
                $"{n} SQS requests in {broadcast.TotalSeconds:0.0} s: {n / broadcast.TotalSeconds:0.00}/s ({sqs})"));
        }
        finally
        {
            foreach (var s in subscribers)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task At_twenty_segments_a_second_the_service_makes_at_most_two_SQS_requests_a_second_of_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("sqs-economy-serve");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 62);
        var sqs = proxy.Rules.Add(new SqsRequestCounter());
        var delivered = proxy.Rules.Add(new DeliveryCounter());
        var segments = CountSegmentPuts(proxy);
        using var fleet = new FleetKit(emulator);
        // Mirror jobs read the manifest only every 30 s without news, so the mirror keeps up only through notifications.
        var config = fleet.WriteConfig("economy", $"s3://{bucket}/jobs/", extra: new() { ["PollInterval"] = "00:00:30" });

        await using var service = fleet.StartService(config, "--endpoint-url", proxy.Endpoint.ToString());
        await FleetKit.WaitUntilReadyAsync(service);
        var before = sqs.Total;
        var (data, broadcast) = await PublishAtTwentyASecondAsync(proxy, $"s3://{bucket}/jobs/a");
        var mirrored = Path.Combine(fleet.SinkDir("economy"), "a");
        await Poll.UntilAsync(() => File.Exists(mirrored), TimeSpan.FromSeconds(15), "the mirrored broadcast");
        var during = sqs.Total - before;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{segments.Count} segments in {broadcast.TotalSeconds:0.0} s; {delivered.Messages} messages delivered; the service made {during} SQS requests, {during / broadcast.TotalSeconds:0.00}/s ({sqs})"));

        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(mirrored));
        Assert.True(segments.Count / broadcast.TotalSeconds >= 15, $"the broadcast ran at {segments.Count / broadcast.TotalSeconds:0.0} segments/s");
        Assert.True(delivered.Messages > 0, "no notification was delivered");
        Assert.True(during / broadcast.TotalSeconds <= TargetPerSecond, $"{during} SQS requests in {broadcast.TotalSeconds:0.0} s ({sqs})");
        await FleetKit.StopAsync(service);
    }

    /// <summary>Feeds 4 KiB every 40 ms for about <see cref="Feed"/> with a 20 ms flush interval: about 20 segments a second.</summary>
    private async Task<(TestData Data, TimeSpan Broadcast)> PublishAtTwentyASecondAsync(FaultProxy proxy, string url)
    {
        var data = new TestData(4096 * (int)(Feed.TotalMilliseconds / 40), seed: 63);
        var clock = Stopwatch.StartNew();
        await using var publisher = _kit.Scenario.StartPublisher(
            ReliabilityKit.Via(proxy, "-m", "1", "--flush-interval", "20ms", "--heartbeat-interval", "1s", url), stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 4096, TimeSpan.FromMilliseconds(40));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(Bound);
        return (data, clock.Elapsed);
    }

    /// <summary>Counts segment PUTs (keys ending in the layout's digits) through the proxy.</summary>
    private static SegmentPuts CountSegmentPuts(FaultProxy proxy)
    {
        var puts = new SegmentPuts();
        proxy.RequestSeen += r =>
        {
            var name = r.Key[(r.Key.LastIndexOf('/') + 1)..];
            if (r.Service == AwsService.S3 && r.Method == "PUT" && name.Length > 0 && name.All(char.IsAsciiDigit))
            {
                puts.Add();
            }
        };
        return puts;
    }

    private sealed class SegmentPuts
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }
}
