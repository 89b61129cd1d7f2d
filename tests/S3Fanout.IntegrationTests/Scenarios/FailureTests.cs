using System.Diagnostics;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>A publisher that dies, one that is told to stop, and data that changed in S3 after it was published.</summary>
[Collection("emulator")]
public sealed class FailureTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(30);
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Killed_publisher_makes_a_running_subscriber_report_a_stall_and_the_broadcast_never_completes()
    {
        var bucket = await emulator.CreateBucketAsync("killed");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(300_000, seed: 9);

        await using var subscriber = _kit.StartSubscriber(["--stall-timeout", "5s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        // Heartbeats well inside the stall timeout, so only the death can look like a stall.
        await using var publisher = _kit.StartPublisher(["--flush-interval", "200ms", "--heartbeat-interval", "1s", url], stdinPipe: true);
        // Some data, and stdin stays open: the publisher is mid-stream when it dies.
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 64 * 1024, TimeSpan.Zero);
        await Poll.UntilAsync(() => subscriber.StdoutLength >= data.Length || subscriber.HasExited, s_quick, "the subscriber to receive the first bytes");

        publisher.Kill(ProcessSignal.Kill);
        var killedAt = Stopwatch.StartNew();
        Assert.Equal(137, await publisher.WaitForExitAsync(s_quick));

        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 8, $"subscriber exit {code}, expected 8:\n{subscriber.StderrTail()}");
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(30), $"the subscriber took {killedAt.Elapsed.TotalSeconds:0.0} s to notice (--stall-timeout 5s)");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.Contains("publisher", line, StringComparison.Ordinal);
        Assert.Contains("stopped", line, StringComparison.Ordinal);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);

        var manifest = await _kit.ReadManifestAsync(bucket, "stream");
        Assert.Equal("false", manifest["completed"]);
        Assert.NotEqual("complete", manifest["state"]);
        Assert.Null(await _kit.TryReadTextAsync(bucket, "stream/.checksums"));
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task Terminated_publisher_exits_143_marks_the_broadcast_aborted_and_the_subscriber_says_so()
    {
        var bucket = await emulator.CreateBucketAsync("terminated");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(300_000, seed: 10);

        // A stall timeout far beyond the checks below: the subscriber must stop because it learns of the abort.
        await using var subscriber = _kit.StartSubscriber(["--stall-timeout", "60s", url]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        await using var publisher = _kit.StartPublisher(["--flush-interval", "200ms", url], stdinPipe: true);
        // Mid-stream: data went out, the producer is quiet for now, stdin stays open.
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 64 * 1024, TimeSpan.Zero);
        await Poll.UntilAsync(() => subscriber.StdoutLength >= data.Length || subscriber.HasExited, s_quick, "the subscriber to receive the first bytes");

        publisher.Kill(ProcessSignal.Term);
        var publisherCode = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(publisherCode == 143, $"publisher exit {publisherCode}, expected 143:\n{publisher.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(publisher, ScenarioKit.Publish);
        Assert.Contains("interrupted", line, StringComparison.Ordinal);

        var manifest = await _kit.ReadManifestAsync(bucket, "stream");
        Assert.Equal("aborted", manifest["state"]);
        Assert.Equal("false", manifest["completed"]);
        Assert.False(string.IsNullOrEmpty(manifest.GetValueOrDefault("abort_reason")), "no abort_reason in the manifest");

        var code = await subscriber.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(code == 8, $"subscriber exit {code}, expected 8:\n{subscriber.StderrTail()}");
        Assert.Contains("aborted", ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe), StringComparison.Ordinal);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task Segment_changed_in_S3_fails_verification_after_the_segments_before_it()
    {
        var bucket = await emulator.CreateBucketAsync("corrupt");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(3L * MiB, seed: 13);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        await _kit.OverwriteSegmentAsync(bucket, "stream", 2);

        await using var subscriber = _kit.StartSubscriber(["-t", "2", url]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 7, $"subscriber exit {code}, expected 7:\n{subscriber.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.Contains("segment 2", line, StringComparison.Ordinal);
        Assert.DoesNotContain("segment 1 ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("segment 3", line, StringComparison.Ordinal);

        // Exactly segment 1 went out; nothing of segment 2 (nor 3).
        Assert.Equal(data.Slice(0, MiB), subscriber.StdoutBytes);
    }

    [Fact]
    public async Task Segment_changed_in_S3_leaves_no_output_file()
    {
        var bucket = await emulator.CreateBucketAsync("corrupt-file");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(3L * MiB, seed: 14);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        await _kit.OverwriteSegmentAsync(bucket, "stream", 2);

        var dir = Directory.CreateTempSubdirectory("s3fanout-corrupt-");
        try
        {
            var file = Path.Combine(dir.FullName, "out.bin");
            await using var subscriber = _kit.StartSubscriber(["-t", "2", "-o", file, url]);
            var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
            Assert.True(code == 7, $"subscriber exit {code}, expected 7:\n{subscriber.StderrTail()}");
            Assert.Contains("segment 2", ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe), StringComparison.Ordinal);
            Assert.False(File.Exists(file), $"{file} exists although the stream failed verification");
            Assert.Equal(0, subscriber.StdoutLength);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
