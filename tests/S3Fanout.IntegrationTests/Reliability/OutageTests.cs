using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 7: the endpoint goes away in the middle of a broadcast. For 10 s (every connection reset) both sides ride it
/// out with -t 8 and finish with exact copies. For good (connections refused), both sides fail cleanly once their
/// -t 3 budget (or the subscriber's stall timeout) is spent: one error line, exit 5 or 6 (subscriber: 5, 6 or 8).
/// </summary>
[Collection("emulator-reliability")]
public sealed class OutageTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task A_10_second_outage_mid_broadcast_is_ridden_out_by_both_sides_with_t_8()
    {
        var bucket = await emulator.CreateBucketAsync("outage-short");
        var url = $"s3://{bucket}/stream";
        var data = new TestData((4L * MiB) + 999, seed: 71);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 71);
        var subscribers = new List<RunningProcess>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                subscribers.Add(_kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "-t", "8", url)));
            }
            await _kit.Scenario.WaitForSubscriberQueuesAsync(bucket, 2);
            await using var publisher = _kit.Scenario.StartPublisher(
                ReliabilityKit.Via(proxy, "-t", "8", "-m", "1", "--flush-interval", "200ms", "--heartbeat-interval", "1s", url), stdinPipe: true);
            using var source = data.OpenRead();
            await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero, maxBytes: MiB + 100_000);
            await _kit.Scenario.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) >= 1, "segment 1 stored");

            // The rest is written during the outage (the publisher stops reading when its segments cannot be stored).
            var feeding = ScenarioKit.FeedAsync(publisher.StandardInput, source, 128 * 1024, TimeSpan.FromMilliseconds(100));
            proxy.BeginOutage(OutageMode.Reset);
            var clock = Stopwatch.StartNew();
            await Task.Delay(Outage);
            proxy.EndOutage();
            var outage = clock.Elapsed;
            await feeding.WaitAsync(TimeSpan.FromSeconds(60));
            await publisher.StandardInput.DisposeAsync();

            var publisherCode = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(90));
            var publisherDone = clock.Elapsed;
            var codes = new List<int>();
            foreach (var s in subscribers)
            {
                codes.Add(await s.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            }
            var allDone = clock.Elapsed;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"outage {outage.TotalSeconds:0.0} s (reset): {proxy.Counts.OutageCuts} connections cut; publisher exit {publisherCode} {publisherDone.TotalSeconds - outage.TotalSeconds:0.0} s after it ended, " +
                $"subscribers {string.Join(' ', codes)} {allDone.TotalSeconds - outage.TotalSeconds:0.0} s after; 2 copies x {data.Length} bytes compared; {proxy.Counts}"));
            Assert.True(publisherCode == 0, $"publisher exit {publisherCode}:\n{publisher.StderrTail()}");
            for (var i = 0; i < subscribers.Count; i++)
            {
                Assert.True(codes[i] == 0, $"subscriber {i + 1} exit {codes[i]}:\n{subscribers[i].StderrTail()}");
                Assert.Equal(data.Sha256, subscribers[i].StdoutSha256);
            }
            Assert.True(proxy.Counts.OutageCuts > 0, "the outage cut nothing");
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
    public async Task An_endpoint_gone_for_good_fails_both_sides_cleanly_once_t_3_is_spent()
    {
        var bucket = await emulator.CreateBucketAsync("outage-long");
        var url = $"s3://{bucket}/stream";
        var data = new TestData(4L * MiB, seed: 72);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 72);
        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "-t", "3", "--stall-timeout", "15s", url));
        await _kit.Scenario.WaitForSubscriberQueuesAsync(bucket, 1);
        await using var publisher = _kit.Scenario.StartPublisher(
            ReliabilityKit.Via(proxy, "-t", "3", "-m", "1", "--flush-interval", "200ms", url), stdinPipe: true);
        using var source = data.OpenRead();
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero, maxBytes: MiB + 100_000);
        await _kit.Scenario.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) >= 1, "segment 1 stored");

        proxy.BeginOutage(OutageMode.Refuse);
        var clock = Stopwatch.StartNew();
        // Keep writing: the publisher must notice on its own, not because stdin ended.
        using var stop = new CancellationTokenSource();
        var feeding = Task.Run(async () =>
        {
            try
            {
                await ScenarioKit.FeedAsync(publisher.StandardInput, source, 64 * 1024, TimeSpan.FromMilliseconds(100), ct: stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The publisher exited and closed its stdin.
            }
        });

        var publisherCode = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var publisherTook = clock.Elapsed;
        var subscriberCode = await subscriber.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var subscriberTook = clock.Elapsed;
        await stop.CancelAsync();
        await feeding;

        var publisherLine = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
        var subscriberLine = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"endpoint refused for good: publisher exit {publisherCode} after {publisherTook.TotalSeconds:0.0} s, subscriber exit {subscriberCode} after {subscriberTook.TotalSeconds:0.0} s\n{publisherLine}\n{subscriberLine}"));
        Assert.True(publisherCode is 5 or 6, $"publisher exit {publisherCode}, expected 5 or 6:\n{publisher.StderrTail()}");
        Assert.True(subscriberCode is 5 or 6 or 8, $"subscriber exit {subscriberCode}, expected 5, 6 or 8:\n{subscriber.StderrTail()}");
        // What reached the subscriber is a prefix of the stream, never more, never different.
        Assert.Equal(data.Slice(0, (int)subscriber.StdoutLength), subscriber.StdoutBytes);
        var manifest = await _kit.Scenario.ReadManifestAsync(bucket, "stream");
        Assert.NotEqual("complete", manifest["state"]);
    }
}
