using System.Net;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

public sealed class SnsListSubscriptionsTests
{
    [Fact]
    public async Task Pages_are_read_with_their_subscriptions_and_the_next_token_is_sent_back()
    {
        var handler = new CapturingHandler()
            .Respond(HttpStatusCode.OK, SnsXml.Subscriptions("page-2", ("arn:aws:sns:r:1:t:a", "sqs", "arn:aws:sqs:r:1:q1"), ("PendingConfirmation", "email", "x@example.com")))
            .Respond(HttpStatusCode.OK, SnsXml.Subscriptions(null, ("arn:aws:sns:r:1:t:b", "sqs", "arn:aws:sqs:r:1:q2")));
        using var client = SnsTestClient.Create(handler);

        var first = await client.ListSubscriptionsByTopicAsync(SnsTestClient.TopicArn, null, CancellationToken.None);
        var second = await client.ListSubscriptionsByTopicAsync(SnsTestClient.TopicArn, first.NextToken, CancellationToken.None);

        Assert.Equal(2, first.Subscriptions.Count);
        Assert.Equal(("arn:aws:sns:r:1:t:a", "sqs", "arn:aws:sqs:r:1:q1"), (first.Subscriptions[0].SubscriptionArn, first.Subscriptions[0].Protocol, first.Subscriptions[0].Endpoint));
        Assert.Equal("page-2", first.NextToken);
        Assert.Null(second.NextToken);
        Assert.Equal("arn:aws:sqs:r:1:q2", Assert.Single(second.Subscriptions).Endpoint);
        Assert.False(handler.Requests[0].Form.ContainsKey("NextToken"));
        Assert.Equal("page-2", handler.Requests[1].Form["NextToken"]);
        Assert.Equal("ListSubscriptionsByTopic", handler.Requests[1].Form["Action"]);
        Assert.Equal(SnsTestClient.TopicArn, handler.Requests[1].Form["TopicArn"]);
    }
}
