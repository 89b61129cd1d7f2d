using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 2: bytes flipped in GET bodies on the way (the stored objects are intact; an overwritten object is
/// Scenarios/FailureTests). The subscriber must never write a damaged byte: with flips on half of the segment
/// fetches it still writes an exact copy, and with segment 2 damaged on every fetch it stops after -t 2 attempts
/// with exit 7 naming segment 2, having written exactly segment 1.
/// </summary>
[Collection("emulator-reliability")]
public sealed partial class CorruptionTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Flipped_bytes_in_half_the_segment_fetches_never_reach_the_output()
    {
        var bucket = await emulator.CreateBucketAsync("flip-half");
        var url = $"s3://{bucket}/stream";
        var data = new TestData((4L * MiB) + 12_345, seed: 21);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 21)
        {
            Plan = new FaultPlan { FlipGetBody = 0.5, Eligible = IsSegmentGet },
        };

        // Live: two subscribers started with the publisher; -t 10 so 50 % damage cannot exhaust the attempts by chance.
        await using var run = await _kit.RunFanOutAsync(proxy, url, data, 2, TimeSpan.FromSeconds(90), ["-m", "1"], ["-t", "10"]);
        // And a third that downloads the finished broadcast (checked against the .checksums index).
        await using var late = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "-t", "10", url));
        var lateCode = await late.WaitForExitAsync(ScenarioKit.ExitDeadline);

        var flips = proxy.Counts.Injected(FaultKind.FlipGetBody);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flip 50 % of segment GETs: {flips} bodies damaged, 3 copies x {data.Length} bytes compared, {run.Elapsed.TotalSeconds:0.0} s live + {late.Elapsed.TotalSeconds:0.0} s finished; {run.Codes}, late {lateCode}; {proxy.Counts}"));
        run.AssertAllByteIdentical(data, "50 % flipped");
        Assert.True(lateCode == 0, $"late subscriber exit {lateCode}:\n{late.StderrTail()}");
        Assert.Equal(data.Sha256, late.StdoutSha256);
        Assert.True(flips >= 3, $"only {flips} flips were injected: {proxy.Counts}");
    }

    [Fact]
    public async Task Segment_2_flipped_on_every_fetch_ends_with_exit_7_naming_it_after_2_attempts_and_nothing_of_it_written()
    {
        var bucket = await emulator.CreateBucketAsync("flip-two");
        var url = $"s3://{bucket}/stream";
        var data = new TestData(3L * MiB, seed: 22);
        await _kit.Scenario.PublishAsync(bucket, "stream", data, "-m", "1");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 22)
        {
            Plan = new FaultPlan { FlipGetBody = 1.0, BytesFlipped = 1, Eligible = r => IsSegmentGet(r) && r.Key.EndsWith("/000000000000002", StringComparison.Ordinal) },
        };

        var clock = Stopwatch.StartNew();
        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "-t", "2", url));
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var detectedAfter = clock.Elapsed;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"segment 2 flipped on every fetch, -t 2: exit {code} after {detectedAfter.TotalSeconds:0.0} s, {proxy.Counts.Injected(FaultKind.FlipGetBody)} damaged fetches, {subscriber.StdoutLength} bytes written (segment 1 = {MiB}); {proxy.Counts}"));
        Assert.True(code == 7, $"subscriber exit {code}, expected 7:\n{subscriber.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        output.WriteLine(line);
        Assert.Matches(SegmentTwo(), line);
        Assert.DoesNotContain("segment 3", line, StringComparison.Ordinal);
        // Exactly two attempts at segment 2, both damaged; segment 1 went out whole, not one byte of segment 2.
        Assert.Equal(2, proxy.Counts.Injected(FaultKind.FlipGetBody));
        Assert.Equal(data.Slice(0, MiB), subscriber.StdoutBytes);
    }

    private static bool IsSegmentGet(ProxiedRequest r) => r.Service == AwsService.S3 && r.Method == "GET" && SegmentKey().IsMatch(r.Key);

    [GeneratedRegex(@"/\d{15}$")]
    private static partial Regex SegmentKey();

    [GeneratedRegex(@"\bsegment 2\b")]
    private static partial Regex SegmentTwo();
}
