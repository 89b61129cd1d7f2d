using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

[Collection("emulator")]
public sealed class TopicTagsRuleTests(EmulatorFixture emulator)
{
    private static readonly Dictionary<string, string> Tagged = new() { ["s3fanout:bucket"] = "b" };

    [Fact]
    public async Task Creating_an_untagged_topic_again_with_tags_is_refused()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new TopicTagsRule());
        using var sns = RuleClients.Sns(emulator, proxy);
        var name = emulator.UniqueName("tags");

        var arn = await sns.CreateTopicAsync(name, tags: null, CancellationToken.None);
        Assert.Equal(arn, await sns.CreateTopicAsync(name, tags: null, CancellationToken.None));
        var refused = await Assert.ThrowsAsync<SnsException>(() => sns.CreateTopicAsync(name, Tagged, CancellationToken.None));

        Assert.Equal("InvalidParameter", refused.Code);
        Assert.Contains("Topic already exists with different tags", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Rules.Refusals("InvalidParameter"));
    }

    [Fact]
    public async Task Without_the_rule_the_emulator_merges_the_tags()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var sns = RuleClients.Sns(emulator, proxy);
        var name = emulator.UniqueName("tags");

        var arn = await sns.CreateTopicAsync(name, tags: null, CancellationToken.None);

        Assert.Equal(arn, await sns.CreateTopicAsync(name, Tagged, CancellationToken.None));
    }
}
