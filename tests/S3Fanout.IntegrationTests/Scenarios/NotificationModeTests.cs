using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>Publishers without SNS: straight to subscriber queues (--notify sqs), or nothing but the manifest (--notify none).</summary>
[Collection("emulator")]
public sealed class NotificationModeTests(EmulatorFixture emulator)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Notify_sqs_reaches_subscribers_started_before_the_publisher()
    {
        var bucket = await emulator.CreateBucketAsync("notify-sqs");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(6L * MiB + 77, seed: 11);
        // Debug logs show each notification the subscriber took in, so the test sees they came through SQS.
        var env = emulator.ChildEnvironmentWith(("S3FANOUT_LOG_LEVEL", "Debug"));
        // A long poll interval: without notifications the subscribers would crawl along on manifest reads.
        string[] args = ["--poll-interval", "30s", "--stall-timeout", "60s", url];
        await using var first = _kit.StartSubscriber(args, environment: env);
        await using var second = _kit.StartSubscriber(args, environment: env);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 2);

        await using var publisher = _kit.StartPublisher(["--notify", "sqs", "-m", "1", url], stdinPipe: true);
        await ScenarioKit.FeedAsync(publisher.StandardInput, data.OpenRead(), 512 * 1024, TimeSpan.FromMilliseconds(50));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal("sqs", (await _kit.ReadManifestAsync(bucket, "stream"))["notify"]);

        foreach (var subscriber in new[] { first, second })
        {
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Length, subscriber.StdoutLength);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            Assert.True(subscriber.Stderr.Contains("Notification segment for " + url, StringComparison.Ordinal),
                "the subscriber never received a segment notification through its queue:\n" + subscriber.StderrTail());
            ScenarioKit.AssertNoStackTrace(subscriber.Stderr, subscriber.CommandLine);
        }
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }

    [Fact]
    public async Task Notify_none_subscriber_joining_mid_stream_follows_the_manifest_to_the_end()
    {
        var bucket = await emulator.CreateBucketAsync("notify-none");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(6L * MiB + 4321, seed: 12);
        await using var publisher = _kit.StartPublisher(["--notify", "none", "-m", "1", url], stdinPipe: true);
        await using var source = data.OpenRead();
        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 512 * 1024, TimeSpan.Zero, maxBytes: 2L * MiB + 1000);
        var open = await _kit.WaitForManifestAsync(bucket, "stream", m => ScenarioKit.NumSegments(m) >= 1, "num_segments >= 1");
        Assert.Equal("none", open["notify"]);
        Assert.Equal("open", open["state"]);

        await using var subscriber = _kit.StartSubscriber(["-v", "--stall-timeout", "30s", url]);
        await Poll.UntilAsync(() => subscriber.StdoutLength >= MiB || subscriber.HasExited, TimeSpan.FromSeconds(60), "the subscriber to write the first segment");
        Assert.False(subscriber.HasExited, "the subscriber ended mid-stream:\n" + subscriber.StderrTail());

        await ScenarioKit.FeedAsync(publisher.StandardInput, source, 512 * 1024, TimeSpan.FromMilliseconds(100));
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);

        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.DoesNotContain("Queue s3fanout-", subscriber.Stderr, StringComparison.Ordinal);
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
    }
}
