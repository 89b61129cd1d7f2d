using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.IntegrationTests.Fleet;
using S3Fanout.IntegrationTests.Reliability;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber;
using S3Fanout.Subscriber.Notifications;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.RealAws;

/// <summary>
/// By default a channel topic carries no filter policies: subscribers and services subscribe without one and keep their
/// own broadcasts in the client, so SNS's 200 filter policies a topic (<see cref="FilterPolicyQuotaRule"/>) never limit a
/// fleet. With the quota at 0 every default subscriber still subscribes unrefused and follows by notifications; and
/// 1,000 default subscriptions on one topic all succeed under the real quota of 200.
/// </summary>
[Collection("emulator-fleet")]
public sealed class UnfilteredChannelTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(25);
    private readonly ReliabilityKit _kit = new(emulator);

    [Fact]
    public async Task Default_subscribers_subscribe_without_a_filter_policy_and_keep_only_their_broadcast()
    {
        var bucket = await emulator.CreateBucketAsync("unfiltered");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 81);
        var quota = proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 0));
        var received = proxy.Rules.Add(new DeliveryCounter());
        var wanted = new TestData(200_000, seed: 81);
        var other = new TestData(150_000, seed: 82);

        await using var first = await NotifiedRun.StartSubscribedAsync(_kit, proxy, $"s3://{bucket}/wanted", Bound);
        await using var second = await NotifiedRun.StartSubscribedAsync(_kit, proxy, $"s3://{bucket}/wanted", Bound);
        await using var noise = NotifiedRun.StartPublisher(_kit, proxy, $"s3://{bucket}/wanted-not", other);
        await using var publisher = NotifiedRun.StartPublisher(_kit, proxy, $"s3://{bucket}/wanted", wanted);
        await noise.EnsureExitCodeAsync(Bound);
        await publisher.EnsureExitCodeAsync(Bound);

        foreach (var subscriber in new[] { first, second })
        {
            Assert.True(await subscriber.WaitForExitAsync(Bound) == 0, subscriber.StderrTail());
            Assert.Equal(wanted.Sha256, subscriber.StdoutSha256);
            Assert.DoesNotContain("SNS refused a filter policy", subscriber.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(0, proxy.Rules.Refusals("FilterPolicyLimitExceeded"));
        Assert.Equal(0, quota.Total);
        Assert.True(received.Messages > 0, "no notification was received");
    }

    [Fact]
    public async Task A_default_service_subscribes_without_a_filter_policy_and_mirrors_only_its_channel()
    {
        var bucket = await emulator.CreateBucketAsync("unfiltered-serve");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 83);
        var quota = proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 0));
        using var fleet = new FleetKit(emulator);

        await using var service = await ChannelMirrorRun.MirrorsOnlyItsChannelAsync(_kit, fleet, proxy, bucket, "unfiltered", seed: 83, Bound);

        Assert.Equal(0, proxy.Rules.Refusals("FilterPolicyLimitExceeded"));
        Assert.Equal(0, quota.Total);
        Assert.DoesNotContain("SNS refused a filter policy", service.Stderr, StringComparison.Ordinal);
        await FleetKit.StopAsync(service);
    }

    [Fact]
    public async Task A_thousand_default_subscriptions_on_one_topic_all_succeed_under_the_quota_of_200()
    {
        const int Count = 1000;
        var bucket = await emulator.CreateBucketAsync("thousand");
        var topic = emulator.UniqueName("thousand");
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 85);
        var quota = proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: NotificationBudget.SnsFilterPoliciesPerTopic));
        // The filter a default subscriber would subscribe with.
        var filter = SubscriptionPolicies.ForSubscriber(new SubscriberOptions { Location = new BroadcastLocation(bucket, "stream") });
        using var sqs = Rules.RuleClients.Sqs(emulator, proxy);
        using var sns = Rules.RuleClients.Sns(emulator, proxy);
        var subscriptions = new QueueSubscription?[Count];
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForAsync(0, Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            {
                var queue = await QueueSubscription.CreateQueueAsync(sqs, sns, bucket, "stream", NullLogger.Instance, ct);
                subscriptions[i] = queue;
                await queue.SubscribeAsync(topic, filter, ct);
            });
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Count} subscriptions in {clock.Elapsed.TotalSeconds:0.0} s"));

            Assert.Null(filter);
            Assert.All(subscriptions, s => Assert.True(s is { Listening: true }));
            Assert.Equal(0, proxy.Rules.Refusals("FilterPolicyLimitExceeded"));
            Assert.Equal(0, quota.Total);
        }
        finally
        {
            await Parallel.ForEachAsync(subscriptions, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (s, _) =>
            {
                if (s is not null)
                {
                    await s.DisposeAsync();
                }
            });
        }
    }
}
