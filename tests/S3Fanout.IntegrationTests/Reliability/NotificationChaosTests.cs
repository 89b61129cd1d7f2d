using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 3: 20 % of the notifications the subscribers receive are lost for good, 30 % are delivered twice and 30 % are
/// held back and delivered after later ones (reordered). Three live subscribers with default options must all finish
/// with exact copies; the publisher writes slowly so the subscribers really follow notifications, not only the manifest.
/// </summary>
[Collection("emulator-reliability")]
public sealed class NotificationChaosTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ReliabilityKit _kit = new(emulator);

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public async Task Lost_duplicated_and_reordered_notifications_still_give_three_exact_copies(int seed)
    {
        var bucket = await emulator.CreateBucketAsync($"chaos-{seed}");
        var url = $"s3://{bucket}/stream";
        var data = new TestData((6L * MiB) + 4321, seed: seed);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed)
        {
            Plan = new FaultPlan { SqsDrop = 0.20, SqsDuplicate = 0.30, SqsLate = 0.30, SqsLateMaxResponses = 3 },
        };
        var delivered = 0;
        proxy.RequestSeen += r =>
        {
            if (r.Operation == "ReceiveMessage")
            {
                Interlocked.Increment(ref delivered);
            }
        };

        var clock = Stopwatch.StartNew();
        var subscribers = new List<RunningProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                subscribers.Add(_kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, url)));
            }
            await _kit.Scenario.WaitForSubscriberQueuesAsync(bucket, 3);
            await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--flush-interval", "300ms", "--heartbeat-interval", "1s", url), stdinPipe: true);
            // About 2.5 MiB/s: a segment every ~0.4 s, so notifications arrive over a few seconds.
            await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 256 * 1024, TimeSpan.FromMilliseconds(100));
            await publisher.StandardInput.DisposeAsync();
            await publisher.EnsureExitCodeAsync(Bound);
            var codes = new List<int>();
            foreach (var s in subscribers)
            {
                codes.Add(await s.WaitForExitAsync(Bound));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed}: 3 copies x {data.Length} bytes compared, {clock.Elapsed.TotalSeconds:0.0} s, subscribers {string.Join(' ', codes)}; " +
                $"{Volatile.Read(ref delivered)} ReceiveMessage calls; lost {proxy.Counts.Injected(FaultKind.SqsDrop)}, duplicated {proxy.Counts.Injected(FaultKind.SqsDuplicate)}, " +
                $"late {proxy.Counts.Injected(FaultKind.SqsLate)} notifications; {proxy.Counts}"));
            for (var i = 0; i < subscribers.Count; i++)
            {
                Assert.True(codes[i] == 0, $"subscriber {i + 1} exit {codes[i]}:\n{subscribers[i].StderrTail()}");
                Assert.Equal(data.Sha256, subscribers[i].StdoutSha256);
            }
            Assert.True(proxy.Counts.Injected(FaultKind.SqsDrop) > 0 && proxy.Counts.Injected(FaultKind.SqsLate) > 0 && proxy.Counts.Injected(FaultKind.SqsDuplicate) > 0,
                $"not every kind of notification fault happened: {proxy.Counts}");
            Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Empty(await _kit.Scenario.ListSubscriberQueuesAsync(bucket));
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
