using System.Diagnostics;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Fleet;

/// <summary>A broadcast that cannot be mirrored fails its job quickly and leaves the service serving the next one.</summary>
[Collection("emulator-fleet")]
public sealed class FleetFailureTests(EmulatorFixture emulator) : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenASegmentInTheMiddleIsCorrupt_TheJobFailsWithinSecondsAndTheNextBroadcastIsMirrored()
    {
        var bucket = await emulator.CreateBucketAsync("fleet-corrupt");
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/bad", new TestData(24L * MiB, seed: 95), "-m", "1");
        await _fleet.Scenarios.OverwriteSegmentAsync(bucket, "jobs/bad", 11);
        var config = _fleet.WriteConfig("bad", $"s3://{bucket}/jobs/", extra: new() { ["Tries"] = 2, ["Workers"] = 8 });

        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);
        var clock = Stopwatch.StartNew();
        await Poll.UntilAsync(() => service.Stderr.Contains("Mirroring s3://" + bucket + "/jobs/bad failed", StringComparison.Ordinal) || service.HasExited,
            TimeSpan.FromSeconds(30), "the corrupt broadcast's job to fail");
        Assert.False(service.HasExited, $"the service stopped:\n{service.StderrTail()}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the job took {clock.Elapsed.TotalSeconds:0.0} s to fail");
        Assert.Contains("segment 11", service.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_fleet.SinkDir("bad"), "bad")), "a broadcast that failed verification appeared as a file");

        var good = new TestData(2L * MiB, seed: 96);
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/good", good, "-m", "1");
        var path = Path.Combine(_fleet.SinkDir("bad"), "good");
        await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(60), "the next broadcast to be mirrored");
        Assert.Equal(good.Sha256, await FleetKit.Sha256Async(path));
        await FleetKit.StopAsync(service);
    }

    public void Dispose() => _fleet.Dispose();
}
