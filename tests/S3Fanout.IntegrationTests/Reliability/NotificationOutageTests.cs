using System.Diagnostics;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>SNS that takes connections and never answers: the broadcast goes on, and subscribers follow the manifest.</summary>
[Collection("emulator-reliability")]
public sealed class NotificationOutageTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenSnsIsBlackHoled_ThePublisherAndThreeSubscribersFinishExact_AndThePublisherSaysSoOnce()
    {
        var bucket = await emulator.CreateBucketAsync("sns-blackhole");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(6L * MiB + 5, seed: 211);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 211)
        {
            Plan = new FaultPlan { BlackHole = 1.0, Eligible = r => r.Service == AwsService.Sns && r.Operation == "Publish" },
        };
        // The subscribers talk to the emulator directly: their queues are subscribed, but nothing is ever published to them.
        var subscribers = new List<RunningProcess>();
        for (var i = 0; i < 3; i++)
        {
            subscribers.Add(_kit.StartSubscriber([url]));
        }
        await _kit.WaitForSubscriberQueuesAsync(bucket, 3);

        var clock = Stopwatch.StartNew();
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", url), stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 512 * 1024, TimeSpan.FromMilliseconds(200));
        await publisher.StandardInput.DisposeAsync();
        var code = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(45));
        var published = clock.Elapsed;

        Assert.True(code == 0, $"publisher exit {code}:\n{publisher.StderrTail()}");
        Assert.True(proxy.Counts.Injected(FaultKind.BlackHole) >= 1, proxy.Counts.ToString());
        var warnings = publisher.Stderr.Split('\n').Where(l => l.Contains("are failing", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 1, $"expected one line saying notifications are failing, got {warnings.Count}:\n{publisher.Stderr}");
        foreach (var subscriber in subscribers)
        {
            await using (subscriber)
            {
                await subscriber.EnsureExitCodeAsync(TimeSpan.FromSeconds(60), 0);
                Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            }
        }
        output.WriteLine($"publisher done in {published.TotalSeconds:0.0} s, subscribers by {clock.Elapsed.TotalSeconds:0.0} s; {proxy.Counts}; {warnings[0]}");
    }
}
