using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>Publisher options whose effect is only visible end to end: disk staging, heartbeats, a custom topic.</summary>
[Collection("emulator")]
public sealed class PublisherOptionsTests(EmulatorFixture emulator)
{
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task WhenSegmentsAreStagedOnDisk_BothSidesProduceIdenticalBytesAndCleanUp()
    {
        var bucket = await emulator.CreateBucketAsync("staging");
        var staging = Directory.CreateTempSubdirectory("s3fanout-staging-");
        try
        {
            var data = new TestData(6L * 1024 * 1024, seed: 6);
            await using var subscriber = _kit.StartSubscriber(["-p", staging.FullName, ScenarioKit.Url(bucket, "staged")]);
            await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
            await _kit.PublishAsync(bucket, "staged", data, "-m", "1", "-p", staging.FullName);
            await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
            Assert.Equal(data.Sha256, subscriber.StdoutSha256);
            Assert.Empty(Directory.EnumerateFiles(staging.FullName, "*", SearchOption.AllDirectories));
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task WhenThePublisherIsIdleLongerThanTheStallTimeout_HeartbeatsKeepSubscribersWaiting()
    {
        var bucket = await emulator.CreateBucketAsync("idle");
        var url = ScenarioKit.Url(bucket, "idle");
        await using var publisher = _kit.StartPublisher(["--heartbeat-interval", "500ms", url], stdinPipe: true);
        await using var subscriber = _kit.StartSubscriber(["--stall-timeout", "3s", url]);
        await publisher.StandardInput.WriteAsync("before the pause\n"u8.ToArray());
        await publisher.StandardInput.FlushAsync();
        await Poll.UntilAsync(() => subscriber.StdoutLength > 0, TimeSpan.FromSeconds(30), "the first line to arrive");

        // Three stall timeouts without data: only heartbeats say the publisher is alive.
        await Task.Delay(TimeSpan.FromSeconds(9));
        Assert.False(subscriber.HasExited, "the subscriber gave up on an idle but live publisher: " + subscriber.StderrTail());

        await publisher.StandardInput.WriteAsync("after the pause\n"u8.ToArray());
        await publisher.StandardInput.DisposeAsync();
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal("before the pause\nafter the pause\n", subscriber.StdoutText);
    }

    [Fact]
    public async Task WhenATopicIsNamed_PublisherAndSubscriberMeetOnIt()
    {
        var bucket = await emulator.CreateBucketAsync("topic");
        var topic = emulator.UniqueName("custom-topic");
        var data = new TestData(3L * 1024 * 1024, seed: 31);
        await using var subscriber = _kit.StartSubscriber(["-v", "--topic", topic, ScenarioKit.Url(bucket, "t")]);
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        await _kit.PublishAsync(bucket, "t", data, "-m", "1", "--topic", topic);
        await subscriber.EnsureExitCodeAsync(ScenarioKit.ExitDeadline, 0);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
        Assert.Contains($":{topic}", subscriber.Stderr, StringComparison.Ordinal);
        var manifest = await _kit.TryReadTextAsync(bucket, "t/.manifest");
        Assert.Contains($"topic_arn = arn:aws:sns:us-east-1:000000000000:{topic}", manifest, StringComparison.Ordinal);
    }
}
