using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// The first fatal failure ends the process whatever the other stages are doing, and a transfer that stalls (a body
/// that stops halfway, a PUT that never gets an answer) is abandoned after --transfer-timeout and tried again.
/// </summary>
[Collection("emulator-reliability")]
public sealed class StopAndStallTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private readonly ReliabilityKit _kit = new(emulator);

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public async Task WhenASegmentInTheMiddleIsCorrupt_TheSubscriberExits7WithinSeconds(int workers)
    {
        var bucket = await emulator.CreateBucketAsync("corrupt-mid");
        var data = new TestData(24L * MiB, seed: 91);
        await _kit.Scenario.PublishAsync(bucket, "stream", data, "-m", "1");
        await _kit.Scenario.OverwriteSegmentAsync(bucket, "stream", 11);

        var clock = Stopwatch.StartNew();
        await using var subscriber = _kit.Scenario.StartSubscriber(["-n", workers.ToString(CultureInfo.InvariantCulture), "-t", "2", $"s3://{bucket}/stream"]);
        var code = await subscriber.WaitForExitAsync(Quick);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"-n {workers}: exit {code} after {clock.Elapsed.TotalSeconds:0.0} s, {subscriber.StdoutLength} bytes written"));

        Assert.True(code == 7, $"subscriber exit {code}, expected 7:\n{subscriber.StderrTail()}");
        Assert.Contains("segment 11", ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe), StringComparison.Ordinal);
        // Segments 1-10 went out whole, not a byte of 11.
        Assert.Equal(data.Slice(0, 10 * MiB), subscriber.StdoutBytes);
    }

    [Fact]
    public async Task WhenABodyStallsOnce_TheSegmentIsFetchedAgainAndTheCopyIsExact()
    {
        var bucket = await emulator.CreateBucketAsync("stall-get");
        var data = new TestData((3L * MiB) + 777, seed: 92);
        await _kit.Scenario.PublishAsync(bucket, "stream", data, "-m", "1");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 92)
        {
            Plan = new FaultPlan { StallMidBody = 1.0, Eligible = Once(r => r.Method == "GET" && r.Key == "stream/000000000000002") },
        };

        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--transfer-timeout", "2s", $"s3://{bucket}/stream"));
        var code = await subscriber.WaitForExitAsync(Quick);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"half a body then silence: exit {code} after {subscriber.Elapsed.TotalSeconds:0.0} s; {proxy.Counts}"));

        Assert.True(code == 0, $"subscriber exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.StallMidBody));
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Fact]
    public async Task WhenAPutGetsNoAnswerOnce_ItIsRetriedAndTheBroadcastIsExact()
    {
        var bucket = await emulator.CreateBucketAsync("stall-put");
        var url = $"s3://{bucket}/stream";
        var data = new TestData((3L * MiB) + 555, seed: 93);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 93)
        {
            Plan = new FaultPlan { StallBeforeResponse = 1.0, Eligible = Once(r => r.Method == "PUT" && r.Key == "stream/000000000000002") },
        };

        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, "-m", "1", "--transfer-timeout", "2s", url), stdin: data.OpenRead());
        var code = await publisher.WaitForExitAsync(Quick);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PUT without an answer: exit {code} after {publisher.Elapsed.TotalSeconds:0.0} s; {proxy.Counts}"));
        Assert.True(code == 0, $"publisher exit {code}:\n{publisher.StderrTail()}");
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.StallBeforeResponse));

        await using var subscriber = _kit.Scenario.StartSubscriber([url]);
        await subscriber.EnsureExitCodeAsync(Quick);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }

    [Theory]
    [InlineData(FaultKind.FlipGetBody)]
    [InlineData(FaultKind.TruncateGetBody)]
    public async Task WhenASegmentArrivesDamagedEveryTime_VerifyExits7AndNamesIt(FaultKind damage)
    {
        var bucket = await emulator.CreateBucketAsync("verify-damage");
        var data = new TestData(3L * MiB, seed: 94);
        await _kit.Scenario.PublishAsync(bucket, "stream", data, "-m", "1");
        bool SegmentTwo(ProxiedRequest r) => r.Method == "GET" && r.Key == "stream/000000000000002";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 94)
        {
            Plan = damage == FaultKind.FlipGetBody
                ? new FaultPlan { FlipGetBody = 1.0, Eligible = SegmentTwo }
                : new FaultPlan { TruncateGetBody = 1.0, Eligible = SegmentTwo },
        };

        await using var verify = _kit.Scenario.StartSubscriber(["verify", .. ReliabilityKit.Via(proxy, "-t", "2", $"s3://{bucket}/stream")]);
        var code = await verify.WaitForExitAsync(Quick);
        output.WriteLine($"{damage}: exit {code}\n{verify.StdoutText}{verify.Stderr}");

        Assert.True(code == 7, $"verify exit {code}, expected 7:\n{verify.StderrTail()}");
        Assert.Contains("BAD segment 2 ", verify.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("BAD segment 1 ", verify.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("BAD segment 3 ", verify.StdoutText, StringComparison.Ordinal);
        Assert.Contains("bad segment 2", ScenarioKit.AssertOneErrorLine(verify, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(2, proxy.Counts.Injected(damage));
    }

    /// <summary>Lets a fault hit only the first request that matches.</summary>
    private static Func<ProxiedRequest, bool> Once(Func<ProxiedRequest, bool> match)
    {
        var left = new[] { 1 };
        return r => match(r) && Interlocked.Decrement(ref left[0]) >= 0;
    }
}
