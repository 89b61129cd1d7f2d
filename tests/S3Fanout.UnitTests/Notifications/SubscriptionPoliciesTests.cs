using System.Text.Json;
using S3Fanout.Subscriber.Notifications;
using Xunit;

namespace S3Fanout.UnitTests.Notifications;

public sealed class SubscriptionPoliciesTests
{
    [Fact]
    public void A_filter_policy_escapes_quotes_and_backslashes_twice_as_SNS_matches_them()
    {
        var policy = SubscriptionPolicies.FilterFor("say \"hi\" \\ bye", isPrefix: false);

        using var doc = JsonDocument.Parse(policy);
        var value = Assert.Single(doc.RootElement.GetProperty("s3fanout.broadcast").EnumerateArray()).GetString();
        Assert.Equal("say \\\"hi\\\" \\\\ bye", value);
    }

    [Fact]
    public void A_prefix_filter_is_escaped_the_same_way_and_plain_names_are_untouched()
    {
        var policy = SubscriptionPolicies.FilterForPrefixes(["in\\box/", "plain/"], ["exact"]);

        using var doc = JsonDocument.Parse(policy);
        var values = doc.RootElement.GetProperty("s3fanout.broadcast").EnumerateArray().ToList();
        Assert.Equal("exact", values[0].GetString());
        Assert.Equal("in\\\\box/", values[1].GetProperty("prefix").GetString());
        Assert.Equal("plain/", values[2].GetProperty("prefix").GetString());
    }

    [Theory]
    [InlineData("""{"Statement":[{"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:r:1:t"}}}]}""", new[] { "arn:aws:sns:r:1:t" })]
    [InlineData("""{"Statement":[{"Condition":{"ArnEquals":{"aws:SourceArn":["arn:aws:sns:r:1:a","arn:aws:sns:r:1:b"]}}}]}""", new[] { "arn:aws:sns:r:1:a", "arn:aws:sns:r:1:b" })]
    [InlineData("""{"Statement":[]}""", new string[0])]
    [InlineData("not json", new string[0])]
    [InlineData("", new string[0])]
    public void The_topics_a_queue_was_subscribed_to_are_read_from_its_policy(string policy, string[] topics)
    {
        Assert.Equal(topics, SubscriptionPolicies.TopicsAllowedBy(policy));
    }
}
