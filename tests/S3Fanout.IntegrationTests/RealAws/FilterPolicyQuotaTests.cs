using System.Globalization;
using Amazon.SQS.Model;
using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// SNS's quota of filter policies (<see cref="FilterPolicyQuotaRule"/>, set low here), for subscribers and services that
/// ask for a filter policy (<c>--filter-policy</c>, <c>FilterPolicy</c>): <c>cleanup-queues</c> gives back the slots of
/// killed subscribers, and past the quota a subscriber or the service still gets its notifications.
/// Subscribers poll the manifest only every 30 s, so they finish in time only by following notifications.
/// </summary>
[Collection("emulator-fleet")]
public sealed class FilterPolicyQuotaTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(25);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Cleanup_frees_the_filter_policies_of_killed_subscribers_for_the_next_one()
    {
        var bucket = await emulator.CreateBucketAsync("quota-cleanup");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 41);
        var quota = proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 2));
        var received = proxy.Rules.Add(new DeliveryCounter());

        var killed = new List<RunningProcess>();
        try
        {
            foreach (var name in new[] { "one", "two" })
            {
                killed.Add(_kit.Scenario.StartSubscriber(ReliabilityKit.Via(proxy, "--filter-policy", "--wait", "120s", $"s3://{bucket}/{name}")));
            }
            await Poll.UntilAsync(() => quota.Total == 2, Bound, "two filtered subscriptions");
            foreach (var subscriber in killed)
            {
                subscriber.Kill(ProcessSignal.Kill);
                await subscriber.WaitForExitAsync(Bound);
            }
        }
        finally
        {
            foreach (var subscriber in killed)
            {
                await subscriber.DisposeAsync();
            }
        }
        var longAgo = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7200).ToString(CultureInfo.InvariantCulture);
        foreach (var url in await _kit.Scenario.ListSubscriberQueuesAsync(bucket))
        {
            await emulator.Sqs.TagQueueAsync(new TagQueueRequest { QueueUrl = url, Tags = new() { ["s3fanout:alive"] = longAgo } });
        }

        await using (var cleanup = ProcessRunner.StartSubscriber(["cleanup-queues", .. ReliabilityKit.Via(proxy, "--older-than", "1h", $"s3://{bucket}")],
            new ProcessOptions { Environment = emulator.ChildEnvironment }))
        {
            await cleanup.EnsureExitCodeAsync(Bound);
            output.WriteLine(cleanup.StdoutText);
        }
        Assert.Equal(0, quota.Total);
        Assert.Empty(await _kit.Scenario.ListSubscriberQueuesAsync(bucket));

        var url3 = $"s3://{bucket}/three";
        var data = new TestData(200_000, seed: 41);
        await using var third = await NotifiedRun.StartSubscribedAsync(_kit, proxy, url3, Bound, "--filter-policy");
        await using var publisher = NotifiedRun.StartPublisher(_kit, proxy, url3, data);
        await publisher.EnsureExitCodeAsync(Bound);
        Assert.True(await third.WaitForExitAsync(Bound) == 0, third.StderrTail());
        Assert.Equal(data.Sha256, third.StdoutSha256);
        Assert.Equal(0, proxy.Rules.Refusals("FilterPolicyLimitExceeded"));
        Assert.True(received.Messages > 0, "the third subscriber received no notification");
    }

    [Fact]
    public async Task Past_the_quota_a_subscriber_subscribes_without_a_filter_and_keeps_only_its_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("quota-full");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 42);
        proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 0));
        var received = proxy.Rules.Add(new DeliveryCounter());
        var wanted = new TestData(200_000, seed: 42);
        var other = new TestData(150_000, seed: 43);

        await using var subscriber = await NotifiedRun.StartSubscribedAsync(_kit, proxy, $"s3://{bucket}/wanted", Bound, "--filter-policy");
        await using var noise = NotifiedRun.StartPublisher(_kit, proxy, $"s3://{bucket}/wanted-not", other);
        await using var publisher = NotifiedRun.StartPublisher(_kit, proxy, $"s3://{bucket}/wanted", wanted);
        await noise.EnsureExitCodeAsync(Bound);
        await publisher.EnsureExitCodeAsync(Bound);

        Assert.True(await subscriber.WaitForExitAsync(Bound) == 0, subscriber.StderrTail());
        Assert.Equal(wanted.Sha256, subscriber.StdoutSha256);
        Assert.True(proxy.Rules.Refusals("FilterPolicyLimitExceeded") >= 1, proxy.Rules.ToString());
        Assert.Equal(1, Occurrences(subscriber.Stderr, "SNS refused a filter policy"));
        Assert.True(received.Messages > 0, "the subscriber received no notification");
    }

    [Fact]
    public async Task Past_the_quota_the_service_starts_and_mirrors_only_its_channel()
    {
        var bucket = await emulator.CreateBucketAsync("quota-serve");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 44);
        proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 0));
        using var fleet = new FleetKit(emulator);

        await using var service = await ChannelMirrorRun.MirrorsOnlyItsChannelAsync(_kit, fleet, proxy, bucket, "full", seed: 44, Bound,
            new() { ["FilterPolicy"] = true });

        Assert.True(proxy.Rules.Refusals("FilterPolicyLimitExceeded") >= 1, proxy.Rules.ToString());
        await FleetKit.StopAsync(service);
    }

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
