using System.Diagnostics;
using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>Two processes pointed at the same output: the second stops at once, and the first's copy is exact.</summary>
[Collection("emulator-reliability")]
public sealed class SharedOutputTests(EmulatorFixture emulator, ITestOutputHelper output) : IDisposable
{
    private readonly ScenarioKit _kit = new(emulator);
    private readonly FleetKit _fleet = new(emulator);

    [Fact]
    public async Task WhenTwoSubscribersWriteTheSameOutputFile_TheSecondFailsAtOnce_AndTheFirstCopyIsExact()
    {
        var bucket = await emulator.CreateBucketAsync("same-output");
        var data = new TestData(6L * 1024 * 1024, seed: 611);
        var url = ScenarioKit.Url(bucket, "shared/stream");
        var file = Path.Combine(_fleet.Root, "copy.bin");

        await using var publisher = _kit.StartPublisher(["-m", "1", url], stdinPipe: true);
        using var source = data.OpenRead();
        var fed = await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.FromMilliseconds(20), maxBytes: 2L * 1024 * 1024);
        await using var first = _kit.StartSubscriber(["-o", file, url]);
        await Poll.UntilAsync(() => File.Exists(file + ".partial.state") || first.HasExited, TimeSpan.FromSeconds(60), "the first subscriber to open its output");

        var clock = Stopwatch.StartNew();
        await using var second = _kit.StartSubscriber(["-o", file, url]);
        var code = await second.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var took = clock.Elapsed;

        Assert.True(code == 9, $"the second subscriber should exit 9, got {code}: {second.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(second, ScenarioKit.Subscribe);
        Assert.Contains("copy.bin.partial' is in use by another S3Fanout process", line, StringComparison.Ordinal);
        Assert.False(first.HasExited, $"the first subscriber stopped: {first.StderrTail()}");

        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 256 * 1024, TimeSpan.Zero);
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await first.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(file));
        output.WriteLine($"second subscriber refused after {took.TotalSeconds:0.0} s (first had {fed} bytes fed); first copy exact");
    }

    [Fact]
    public async Task WhenASecondServiceUsesTheSameStateDirectory_ItStopsAtStartWithOneLine_AndTheFirstServes()
    {
        var bucket = await emulator.CreateBucketAsync("same-state");
        var config = _fleet.WriteConfig("one", $"s3://{bucket}/jobs/");
        await using var service = _fleet.StartService(config);
        await FleetKit.WaitUntilReadyAsync(service);

        await using var twin = _fleet.StartService(config);
        var code = await twin.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 9, $"the second service should exit 9, got {code}: {twin.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(twin, ScenarioKit.Subscribe);
        Assert.Contains("in use by another s3fanout-subscribe serve", line, StringComparison.Ordinal);
        var data = new TestData(1024 * 1024, seed: 612);
        await _fleet.Scenarios.PublishAsync(bucket, "jobs/a", data, "-m", "1");
        var path = Path.Combine(_fleet.SinkDir("one"), "a");
        await Poll.UntilAsync(() => File.Exists(path), TimeSpan.FromSeconds(60), "the first service to mirror the broadcast");
        Assert.Equal(data.Sha256, await FleetKit.Sha256Async(path));
        await FleetKit.StopAsync(service);
    }

    public void Dispose() => _fleet.Dispose();
}
