using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// A subscriber whose principal may not list the bucket (<see cref="NoListBucketRule"/>): S3 answers 403 instead of 404
/// for a segment or manifest that is not stored yet. The publisher has its own credentials and goes through the same
/// proxy unaffected.
/// </summary>
[Collection("emulator-reliability")]
public sealed class NoListBucketTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private const string Reader = "subscriber-without-listbucket";
    private readonly ScenarioKit _kit = new(emulator);

    private IReadOnlyDictionary<string, string> ReaderEnvironment => emulator.ChildEnvironmentWith(("AWS_ACCESS_KEY_ID", Reader));

    [Theory]
    [InlineData("none")]
    [InlineData("auto")]
    public async Task A_subscriber_without_ListBucket_started_before_the_publisher_waits_out_the_403s_and_gets_every_byte(string notify)
    {
        var bucket = await emulator.CreateBucketAsync("nolist-before");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(6L * MiB + 777, seed: 41);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new NoListBucketRule(accessKeyId: Reader));
        // Segment 2 is stored last, so the segment-ready notifications of 3, 4, … arrive while it is not there yet.
        proxy.Rules.Add(new HoldPutRule($"stream/{2.ToString("D15", CultureInfo.InvariantCulture)}", TimeSpan.FromSeconds(3)));

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", notify, "--wait", "60s", url), environment: ReaderEnvironment);
        await Poll.UntilAsync(() => rule.Refused.Contains("stream/.manifest") || subscriber.HasExited, TimeSpan.FromSeconds(30),
            "the subscriber to be refused the manifest that does not exist yet");
        if (notify != "none")
        {
            await Poll.UntilAsync(async () => subscriber.HasExited || (await _kit.ListSubscriberQueuesAsync(bucket)).Count >= 1, TimeSpan.FromSeconds(60),
                "the subscriber's queue");
        }
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", url), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        await AssertReceivedAllAsync(subscriber, data, rule, $"--notify {notify}, started before");
        Assert.Contains("stream/.manifest", rule.Refused);
        if (notify != "none")
        {
            // Announced segments after 2 made the subscriber look for 2 before it was stored.
            Assert.Contains($"stream/{2.ToString("D15", CultureInfo.InvariantCulture)}", rule.Refused);
        }
    }

    [Fact]
    public async Task A_subscriber_without_ListBucket_joining_mid_stream_waits_out_403s_on_segments_not_stored_yet()
    {
        var bucket = await emulator.CreateBucketAsync("nolist-after");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(7L * MiB + 99, seed: 42);
        var late = $"stream/{5.ToString("D15", CultureInfo.InvariantCulture)}";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new NoListBucketRule(accessKeyId: Reader));
        proxy.Rules.Add(new HoldPutRule(late, TimeSpan.FromSeconds(3)));
        await using var publisher = _kit.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", url), stdinPipe: true);
        await using var source = data.OpenRead();
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero, maxBytes: 2L * MiB);
        await _kit.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) >= 2, "2 segments stored");

        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "-v", url), environment: ReaderEnvironment);
        // Subscribed (not only its queue made), so the notifications of segments 6-8 reach it while 5 is still held back.
        await Poll.UntilAsync(() => subscriber.Stderr.Contains(" subscribed to ", StringComparison.Ordinal) || subscriber.HasExited,
            TimeSpan.FromSeconds(60), "the subscription");
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero);
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        await AssertReceivedAllAsync(subscriber, data, rule, "joined mid-stream");
        Assert.Contains(late, rule.Refused);
    }

    [Fact]
    public async Task A_subscriber_without_ListBucket_and_no_broadcast_exits_4_naming_s3_ListBucket_when_wait_runs_out()
    {
        var bucket = await emulator.CreateBucketAsync("nolist-none");
        var url = ScenarioKit.Url(bucket, "never");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new NoListBucketRule(accessKeyId: Reader));

        var clock = Stopwatch.StartNew();
        await using var subscriber = _kit.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "none", "--wait", "3s", url), environment: ReaderEnvironment);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exit {code} after {clock.Elapsed.TotalSeconds:0.0} s: {line}"));
        Assert.True(code == 4, $"exit {code}, expected 4:\n{subscriber.StderrTail()}");
        Assert.Contains("s3:ListBucket", line, StringComparison.Ordinal);
        Assert.Contains("--wait", line, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"it gave up after {clock.Elapsed.TotalSeconds:0.0} s, before --wait 3s ran out");
        Assert.True(rule.Refused.Count(k => k == "never/.manifest") >= 2, "the manifest was not looked for again while waiting");

        // `info` does not wait: the same 403 at once, exit 4, with the same explanation.
        await using var info = _kit.StartSubscriber(["info", .. ReliabilityKit.Via(proxy, url)], environment: ReaderEnvironment);
        Assert.Equal(4, await info.WaitForExitAsync(ScenarioKit.ExitDeadline));
        Assert.Contains("s3:ListBucket", ScenarioKit.AssertOneErrorLine(info, ScenarioKit.Subscribe), StringComparison.Ordinal);
    }

    private async Task AssertReceivedAllAsync(RunningProcess subscriber, TestData data, NoListBucketRule rule, string what)
    {
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        output.WriteLine($"{what}: exit {code}; {rule.Refused.Count} refused: {string.Join(", ", rule.Refused.GroupBy(k => k).Select(g => $"{g.Key} x{g.Count()}"))}");
        Assert.True(code == 0, $"{what}: exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    /// <summary>
    /// Timing scaffolding, not an AWS behaviour: holds the first PUT of one key for a while before it reaches the
    /// endpoint, so that later segments are stored (and announced) before it.
    /// </summary>
    private sealed class HoldPutRule(string key, TimeSpan hold) : AwsRule
    {
        private int _held;

        public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
        {
            if (request.Service == AwsService.S3 && request.Operation == "PUT" && request.Key == key && Interlocked.Exchange(ref _held, 1) == 0)
            {
                await Task.Delay(hold);
            }
            return null;
        }
    }
}
