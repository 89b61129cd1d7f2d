using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

[Collection("emulator")]
public sealed class FilterPolicyQuotaRuleTests(EmulatorFixture emulator)
{
    private const string Policy = "{\"k\":[\"v\"]}";

    [Fact]
    public async Task Past_the_quota_a_filtered_subscribe_is_refused_and_an_unsubscribe_frees_a_slot()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var rule = proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 2));
        using var sns = RuleClients.Sns(emulator, proxy);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("quota"), tags: null, CancellationToken.None);

        var first = await SubscribeAsync(sns, topic, Policy);
        await SubscribeAsync(sns, topic, Policy);
        var refused = await Assert.ThrowsAsync<SnsException>(() => SubscribeAsync(sns, topic, Policy));
        var unfiltered = await SubscribeAsync(sns, topic, null);

        Assert.Equal("FilterPolicyLimitExceeded", refused.Code);
        Assert.Equal(403, refused.StatusCode);
        Assert.StartsWith("arn:", unfiltered, StringComparison.Ordinal);
        Assert.Equal(2, rule.InUse(topic));
        await sns.UnsubscribeAsync(first, CancellationToken.None);
        Assert.Equal(1, rule.InUse(topic));
        await SubscribeAsync(sns, topic, Policy);
        Assert.Equal(1, proxy.Rules.Refusals("FilterPolicyLimitExceeded"));
    }

    [Fact]
    public async Task The_account_quota_counts_every_topic()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new FilterPolicyQuotaRule(perTopic: 5, perAccount: 1));
        using var sns = RuleClients.Sns(emulator, proxy);
        var one = await sns.CreateTopicAsync(emulator.UniqueName("quota"), tags: null, CancellationToken.None);
        var two = await sns.CreateTopicAsync(emulator.UniqueName("quota"), tags: null, CancellationToken.None);

        await SubscribeAsync(sns, one, Policy);
        var refused = await Assert.ThrowsAsync<SnsException>(() => SubscribeAsync(sns, two, Policy));

        Assert.Equal("FilterPolicyLimitExceeded", refused.Code);
    }

    [Fact]
    public async Task Without_the_rule_the_emulator_takes_any_number_of_filter_policies()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var sns = RuleClients.Sns(emulator, proxy);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("quota"), tags: null, CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            await SubscribeAsync(sns, topic, Policy);
        }
    }

    /// <summary>Subscribes a fresh queue (SNS returns the existing subscription for the same queue and attributes).</summary>
    private async Task<string> SubscribeAsync(SnsClient sns, string topic, string? policy)
    {
        var queue = await emulator.CreateQueueAsync("quota");
        var attributes = new Dictionary<string, string> { ["RawMessageDelivery"] = "true" };
        if (policy is not null)
        {
            attributes["FilterPolicy"] = policy;
        }
        return await sns.SubscribeAsync(topic, "sqs", queue.Arn, attributes, CancellationToken.None);
    }
}
