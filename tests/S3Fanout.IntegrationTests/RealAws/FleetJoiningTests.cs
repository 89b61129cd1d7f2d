using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// Joining at fleet scale. 10,000 subscribers started together at SNS's 100 Subscribe calls a second
/// (<see cref="SubscribeThrottleRule"/>) take 100 s to subscribe, so the last ones are throttled for 100 s. Modelled with
/// a few processes: Subscribe allows 2 calls a second, but its window stays used up for <see cref="Closed"/> (the
/// thousands ahead of them), longer than any fixed number of tries lasts. Every subscriber keeps trying with jittered
/// backoff while it follows the manifest (polled ever less often, so a joining fleet stays under S3's per-prefix GET
/// rate), subscribes once SNS lets it, and writes an exact copy.
/// </summary>
[Collection("emulator-long-waits")]
public sealed class FleetJoiningTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int Subscribers = 6;
    private static readonly TimeSpan Closed = TimeSpan.FromSeconds(100);
    private static readonly TimeSpan AfterOpening = TimeSpan.FromSeconds(60);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Subscribers_throttled_for_longer_than_any_fixed_retry_budget_all_join_and_follow()
    {
        var bucket = await emulator.CreateBucketAsync("joining");
        var url = $"s3://{bucket}/stream";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71);
        var held = new HeldTime();
        var throttle = proxy.Rules.Add(new SubscribeThrottleRule(perSecond: 2, held));
        var manifestReads = 0;
        const string manifestKey = "stream/.manifest";
        proxy.RequestSeen += r =>
        {
            if (r.Service == AwsService.S3 && r.Method == "GET" && r.Key == manifestKey)
            {
                Interlocked.Increment(ref manifestReads);
            }
        };
        using (var sns = Rules.RuleClients.Sns(emulator, proxy))
        {
            // The held window's 2 calls are used here: every further Subscribe is throttled until the clock is released.
            var topic = await sns.CreateTopicAsync(emulator.UniqueName("ahead"), tags: null, CancellationToken.None);
            for (var i = 0; i < 2; i++)
            {
                var queue = await emulator.CreateQueueAsync("ahead");
                await sns.SubscribeAsync(topic, "sqs", queue.Arn, new Dictionary<string, string>(), CancellationToken.None);
            }
        }

        var data = new TestData(256 * 1024, seed: 71);
        var subscribers = new List<RunningProcess>();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < Subscribers; i++)
            {
                subscribers.Add(_kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--wait", "120s", url)));
            }
            await using var publisher = _kit.Scenario.StartPublisher(
                ReliabilityKit.Via(proxy, "-m", "1", "--flush-interval", "300ms", "--heartbeat-interval", "1s", url), stdinPipe: true);
            var source = data.OpenRead();
            var stopFeeding = false;
            // A slow stream that lasts: 1 KiB a second, the rest sent only once every subscriber joined.
            var feeding = Task.Run(async () =>
            {
                var chunk = new byte[1024];
                while (!Volatile.Read(ref stopFeeding))
                {
                    var n = await source.ReadAsync(chunk);
                    await publisher.StandardInput.WriteAsync(chunk.AsMemory(0, n));
                    await publisher.StandardInput.FlushAsync();
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            });

            // The scenario's time: SNS refuses every Subscribe for this long, as it would the 8,000th of a fleet.
            await Task.Delay(Closed);
            var readsWhileClosed = Volatile.Read(ref manifestReads);
            var refusedWhileClosed = proxy.Rules.Refusals("Throttled");
            Assert.All(subscribers, s => Assert.False(s.HasExited, s.StderrTail()));
            held.Release();
            await Poll.UntilAsync(() => throttle.Passed >= Subscribers + 2, AfterOpening,
                $"{Subscribers} subscriptions after the opening (throttled {proxy.Rules.Refusals("Throttled")} times)");
            var joinedAt = clock.Elapsed;

            Volatile.Write(ref stopFeeding, true);
            await feeding;
            await source.CopyToAsync(publisher.StandardInput);
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(TimeSpan.FromSeconds(30));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Subscribers} joined {joinedAt.TotalSeconds - Closed.TotalSeconds:0.0} s after Subscribe opened; throttled {refusedWhileClosed} times while closed; {readsWhileClosed} manifest reads in {Closed.TotalSeconds:0} s ({readsWhileClosed / (double)Subscribers / Closed.TotalSeconds:0.00}/s per subscriber)"));

            for (var i = 0; i < Subscribers; i++)
            {
                var code = await subscribers[i].WaitForExitAsync(TimeSpan.FromSeconds(30));
                Assert.True(code == 0, $"subscriber {i + 1} exit {code}:\n{subscribers[i].StderrTail()}");
                Assert.Equal(data.Sha256, subscribers[i].StdoutSha256);
                Assert.DoesNotContain("Cannot subscribe", subscribers[i].Stderr, StringComparison.Ordinal);
            }
            // Joining subscribers poll the manifest every 5-10 s once backed off, not every second.
            Assert.True(readsWhileClosed <= Subscribers * (Closed.TotalSeconds / 5 + 4), $"{readsWhileClosed} manifest reads by {Subscribers} joining subscribers in {Closed.TotalSeconds:0} s");
        }
        finally
        {
            foreach (var s in subscribers)
            {
                await s.DisposeAsync();
            }
        }
    }
}
