using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// S3's per-prefix request rate (<see cref="PrefixGetRate"/>, scaled down) with every process at <c>-t 1</c>: a 503
/// SlowDown never fails a subscriber or the publisher and never uses up -t; the process's governor spaces the tries.
/// </summary>
[Collection("emulator-reliability")]
public sealed class SlowDownTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Subscribers_with_one_try_all_finish_byte_identical_when_the_segment_prefix_answers_SlowDown()
    {
        var bucket = await emulator.CreateBucketAsync("slowdown-get");
        var data = new TestData(4L * MiB, seed: 121);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        // 4 subscribers x (4 segments + manifest polls + .checksums) against 5 GETs a second for the whole broadcast prefix.
        var rule = proxy.Rules.Add(new PrefixGetRate(5));

        await using var run = await _kit.RunFanOutAsync(proxy, $"s3://{bucket}/stream", data, 4, Bound, ["-m", "1", "-t", "1"], ["-t", "1"]);

        output.WriteLine($"{run.Codes}; {rule.Refused} SlowDown answers ({proxy.Rules.Refusals("SlowDown")} to GETs), {rule.Passed} passed, {run.Elapsed.TotalSeconds:0.0} s");
        run.AssertAllByteIdentical(data, "under SlowDown");
        Assert.True(proxy.Rules.Refusals("SlowDown") > 0, $"the rule never refused a GET: {proxy.Rules}");
    }

    [Fact]
    public async Task A_publisher_with_one_try_finishes_when_its_PUTs_answer_SlowDown()
    {
        var bucket = await emulator.CreateBucketAsync("slowdown-put");
        var data = new TestData(6L * MiB, seed: 122);
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        // Writes of the broadcast prefix (segments, .manifest, .checksums) at 1 a second, reads unlimited in effect.
        var rule = proxy.Rules.Add(new PrefixGetRate(10_000) { PutsPerSecond = 1 });

        await using var run = await _kit.RunFanOutAsync(proxy, $"s3://{bucket}/stream", data, 2, Bound, ["-m", "1", "-t", "1"], ["-t", "1"]);

        output.WriteLine($"{run.Codes}; {rule.Refused} SlowDown answers to writes, {run.Elapsed.TotalSeconds:0.0} s");
        run.AssertAllByteIdentical(data, "under write SlowDown");
        Assert.True(rule.Refused > 0, $"the rule never refused a write: {proxy.Rules}");
    }
}
