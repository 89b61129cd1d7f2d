using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// Forty subscribers started at once while SNS allows only 5 Subscribe calls a second (<see cref="SubscribeThrottleRule"/>):
/// each backs off with jitter until it is subscribed, following the manifest meanwhile, and every one writes an exact copy.
/// The stream is small and slow (40 processes share 2 cores), and its end is sent only once all 40 are subscribed.
/// </summary>
[Collection("emulator-fleet")]
public sealed class SubscribeThrottlingTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int Subscribers = 40;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Forty_subscribers_started_at_once_against_a_throttled_Subscribe_all_subscribe_and_follow()
    {
        var bucket = await emulator.CreateBucketAsync("throttled");
        var url = $"s3://{bucket}/stream";
        var data = new TestData(512 * 1024, seed: 51);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 51);
        var throttle = proxy.Rules.Add(new SubscribeThrottleRule(perSecond: 5));
        var clock = Stopwatch.StartNew();
        var subscribers = new List<RunningProcess>();
        try
        {
            for (var i = 0; i < Subscribers; i++)
            {
                subscribers.Add(_kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--wait", "60s", url)));
            }
            await using var publisher = _kit.Scenario.StartPublisher(
                ReliabilityKit.Via(proxy, "-m", "1", "--flush-interval", "300ms", "--heartbeat-interval", "1s", url), stdinPipe: true);
            await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 32 * 1024, TimeSpan.FromMilliseconds(300));
            await Poll.UntilAsync(() => throttle.Passed >= Subscribers || subscribers.Any(s => s.HasExited), Bound - clock.Elapsed,
                $"{Subscribers} subscriptions (throttled {proxy.Rules.Refusals("Throttled")} times)");
            var subscribedAt = clock.Elapsed;
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(Bound - clock.Elapsed);
            var codes = new List<int>();
            foreach (var s in subscribers)
            {
                codes.Add(await s.WaitForExitAsync(Bound - clock.Elapsed > TimeSpan.FromSeconds(1) ? Bound - clock.Elapsed : TimeSpan.FromSeconds(1)));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Subscribers} subscribed by {subscribedAt.TotalSeconds:0.0} s, all done in {clock.Elapsed.TotalSeconds:0.0} s; Subscribe throttled {proxy.Rules.Refusals("Throttled")} times"));

            for (var i = 0; i < subscribers.Count; i++)
            {
                Assert.True(codes[i] == 0, $"subscriber {i + 1} exit {codes[i]}:\n{subscribers[i].StderrTail()}");
                Assert.Equal(data.Sha256, subscribers[i].StdoutSha256);
                Assert.DoesNotContain("Cannot subscribe", subscribers[i].Stderr, StringComparison.Ordinal);
            }
            Assert.Equal(Subscribers, throttle.Passed);
            Assert.True(proxy.Rules.Refusals("Throttled") > 0, "the rule never throttled");
            Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed.TotalSeconds:0.0} s");
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
    public async Task A_subscriber_whose_Subscribe_stays_throttled_follows_the_manifest_to_the_end_while_it_keeps_trying()
    {
        var bucket = await emulator.CreateBucketAsync("throttled-long");
        var url = $"s3://{bucket}/stream";
        var data = new TestData(300_000, seed: 52);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 52);
        // One Subscribe a second on a clock that stands still: once it is used, every further Subscribe is throttled.
        var throttle = proxy.Rules.Add(new SubscribeThrottleRule(perSecond: 1, new FrozenTime()));
        using (var sns = Rules.RuleClients.Sns(emulator, proxy))
        {
            var topic = await sns.CreateTopicAsync(emulator.UniqueName("used"), tags: null, CancellationToken.None);
            var queue = await emulator.CreateQueueAsync("used");
            await sns.SubscribeAsync(topic, "sqs", queue.Arn, new Dictionary<string, string>(), CancellationToken.None);
        }

        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--wait", "60s", url));
        await Poll.UntilAsync(() => proxy.Rules.Refusals("Throttled") > 0 || subscriber.HasExited, Bound, "a throttled Subscribe");
        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(Bound);
        var code = await subscriber.WaitForExitAsync(Bound);

        Assert.True(code == 0, $"subscriber exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Equal(1, throttle.Passed);
        Assert.DoesNotContain("Cannot subscribe", subscriber.Stderr, StringComparison.Ordinal);
    }
}
