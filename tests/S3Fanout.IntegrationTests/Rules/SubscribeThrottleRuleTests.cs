using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

[Collection("emulator")]
public sealed class SubscribeThrottleRuleTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Past_the_rate_a_subscribe_is_throttled_and_classified_as_throttling()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        // A clock that stands still keeps every call in one window.
        var rule = proxy.Rules.Add(new SubscribeThrottleRule(perSecond: 3, new FrozenTime()));
        using var sns = RuleClients.Sns(emulator, proxy);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("throttle"), tags: null, CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            await SubscribeAsync(sns, topic);
        }
        var throttled = await Assert.ThrowsAsync<SnsException>(() => SubscribeAsync(sns, topic));

        Assert.Equal("Throttled", throttled.Code);
        Assert.Equal(FailureKind.Throttled, AwsErrors.Classify(throttled).Kind);
        Assert.True(AwsErrors.IsRetryable(throttled));
        Assert.Equal(3, rule.Passed);
        Assert.Equal(1, proxy.Rules.Refusals("Throttled"));
    }

    [Fact]
    public async Task Without_the_rule_the_emulator_never_throttles()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var sns = RuleClients.Sns(emulator, proxy);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("throttle"), tags: null, CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            await SubscribeAsync(sns, topic);
        }
    }

    private async Task SubscribeAsync(SnsClient sns, string topic)
    {
        var queue = await emulator.CreateQueueAsync("throttle");
        await sns.SubscribeAsync(topic, "sqs", queue.Arn, new Dictionary<string, string> { ["RawMessageDelivery"] = "true" }, CancellationToken.None);
    }
}
