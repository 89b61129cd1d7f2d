using System.Diagnostics;
using System.Globalization;
using S3Fanout.Shared.Aws;
using S3Fanout.IntegrationTests.RealAws;
using S3Fanout.Shared.Notifications;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// What a one-shot subscriber started before its publisher costs while it waits: the manifest reads at the proxy must
/// stay within the documented backoff (1 s, doubling with equal jitter, up to one long poll with notifications and 5 s
/// without: <see cref="NotificationBudget.WaitingPollCap"/>), the SQS receives within one long poll each, and a broadcast
/// published after the wait must still arrive byte-identical within the documented delay.
/// </summary>
[Collection("emulator-reliability")]
public sealed class WaitingSubscriberTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private static readonly TimeSpan Waiting = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task A_subscriber_waiting_with_notifications_reads_the_manifest_rarely_and_starts_within_one_long_poll_of_the_publisher()
    {
        var bucket = await emulator.CreateBucketAsync("wait-notified");
        var url = $"s3://{bucket}/later";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 131);
        var gets = proxy.Rules.Add(new SegmentReadCounter());
        var sqs = proxy.Rules.Add(new SqsRequestCounter());

        var clock = Stopwatch.StartNew();
        await using var subscriber = await NotifiedRun.StartSubscribedAsync(_kit, proxy, url, Bound);
        var receivesBefore = sqs.Of("ReceiveMessage");
        await Task.Delay(Waiting);
        var span = clock.Elapsed;
        var manifestReads = gets.OtherGets;
        var receives = sqs.Of("ReceiveMessage") - receivesBefore;

        // The first read and the catch-up read after subscribing, plus what the backoff allows; its cap is at least the
        // joining cap (10 s), so that smaller cap gives the most reads. Reading every second would be about one a second.
        var most = 2 + MostBackedOffReads(span, NotificationBudget.JoiningPollCap);
        var mostReceives = (int)Math.Ceiling(Waiting.TotalSeconds / NotificationBudget.SqsMaxWaitSeconds) + 1;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"waiting {span.TotalSeconds:0.0} s: {manifestReads} manifest reads (at most {most}), {receives} receives in {Waiting.TotalSeconds:0} s (at most {mostReceives}); SQS {sqs}"));
        Assert.False(subscriber.HasExited, $"the subscriber stopped waiting:\n{subscriber.StderrTail()}");
        Assert.True(manifestReads >= 2, $"only {manifestReads} manifest reads: the subscriber does not look for the broadcast");
        Assert.True(manifestReads <= most, $"{manifestReads} manifest reads in {span.TotalSeconds:0.0} s of waiting; the backoff allows {most}");
        Assert.True(receives <= mostReceives, $"{receives} ReceiveMessage calls in {Waiting.TotalSeconds:0} s of waiting; long polls of 20 s allow {mostReceives} ({sqs})");

        // Its first notification ends the wait at once: the subscriber is done within one long poll of the publisher.
        await AssertDeliveredAsync(proxy, url, subscriber, TimeSpan.FromSeconds(NotificationBudget.SqsMaxWaitSeconds), seed: 132);
    }

    [Fact]
    public async Task A_subscriber_waiting_without_notifications_reads_the_manifest_at_most_every_2_5_to_5_seconds_and_still_finds_the_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("wait-none");
        var url = $"s3://{bucket}/later";
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 133);
        var gets = proxy.Rules.Add(new SegmentReadCounter());

        var clock = Stopwatch.StartNew();
        await using var subscriber = _kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--notify", "none", "--wait", "120s", url));
        await Task.Delay(Waiting);
        var span = clock.Elapsed;
        var manifestReads = gets.OtherGets;

        // The first read, plus the watcher's: 1 s, then doubling with equal jitter up to 5 s.
        var most = 1 + MostBackedOffReads(span, NotificationBudget.WaitingPollCapWithoutNotifications);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"waiting {span.TotalSeconds:0.0} s: {manifestReads} manifest reads (at most {most})"));
        Assert.False(subscriber.HasExited, $"the subscriber stopped waiting:\n{subscriber.StderrTail()}");
        Assert.True(manifestReads >= span.TotalSeconds / NotificationBudget.WaitingPollCapWithoutNotifications.TotalSeconds,
            $"only {manifestReads} manifest reads in {span.TotalSeconds:0.0} s: the wait between reads exceeds the 5 s cap");
        Assert.True(manifestReads <= most, $"{manifestReads} manifest reads in {span.TotalSeconds:0.0} s of waiting; the backoff allows {most}");

        // It finds the publisher's first manifest within the 5 s cap.
        await AssertDeliveredAsync(proxy, url, subscriber, NotificationBudget.WaitingPollCapWithoutNotifications, seed: 134, "--notify", "none");
    }

    /// <summary>
    /// The most manifest reads the watcher's backoff allows in <paramref name="span"/>: the first after 1 s, and after
    /// the n-th a wait of at least half of min(<paramref name="cap"/>, 1 s × 2^n) (equal jitter never draws below half).
    /// </summary>
    private static int MostBackedOffReads(TimeSpan span, TimeSpan cap)
    {
        var reads = 0;
        for (var at = TimeSpan.FromSeconds(1); at <= span; at += Backoff.Ceiling(reads + 1, TimeSpan.FromSeconds(1), cap) / 2)
        {
            reads++;
        }
        return reads;
    }

    /// <summary>Publishes 3 MiB now; the waiting subscriber must exit 0 with the same bytes within <paramref name="delay"/> (plus slack for its download) of the publisher's end.</summary>
    private async Task AssertDeliveredAsync(FaultProxy proxy, string url, RunningProcess subscriber, TimeSpan delay, int seed, params string[] publisherArgs)
    {
        var data = new TestData(3 * 1024 * 1024 + 17, seed);
        await using var publisher = _kit.Scenario.StartPublisher(ReliabilityKit.Via(proxy, ["-m", "1", .. publisherArgs, url]), stdin: data.OpenRead());
        await publisher.EnsureExitCodeAsync(Bound);
        var after = Stopwatch.StartNew();
        var code = await subscriber.WaitForExitAsync(delay + TimeSpan.FromSeconds(10));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"subscriber done {after.Elapsed.TotalSeconds:0.0} s after the publisher"));
        Assert.True(code == 0, $"subscriber exit {code}:\n{subscriber.StderrTail()}");
        Assert.Equal(data.Length, subscriber.StdoutLength);
        Assert.Equal(data.Sha256, subscriber.StdoutSha256);
    }
}
