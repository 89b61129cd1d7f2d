using System.Net;
using S3Fanout.Shared.Aws.Sns;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

public sealed class SnsRequestEncodingTests
{
    [Theory]
    [InlineData("abcXYZ019-_.~", "abcXYZ019-_.~")]
    [InlineData("a b", "a%20b")]
    [InlineData("a+b=c&d", "a%2Bb%3Dc%26d")]
    [InlineData("*!'()/:", "%2A%21%27%28%29%2F%3A")]
    [InlineData("é€", "%C3%A9%E2%82%AC")]
    [InlineData("{\"k\":[\"v\"]}", "%7B%22k%22%3A%5B%22v%22%5D%7D")]
    public void WhenEncodingAFormValue_OnlyRfc3986UnreservedCharactersStayLiteral(string value, string expected) =>
        Assert.Equal(expected, SnsQueryRequest.PercentEncode(value));

    [Fact]
    public async Task WhenSubscribingWithAFilterPolicy_AttributesAreNumberedEntriesAndTheJsonIsPercentEncoded()
    {
        const string policy = """{"kind":["chunk end"],"size":[{"numeric":[">",0]}]}""";
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, $"""
            <SubscribeResponse xmlns="{SnsXml.Namespace}">
              <SubscribeResult><SubscriptionArn>arn:aws:sns:eu-west-1:123456789012:fanout:1f2e</SubscriptionArn></SubscribeResult>
            </SubscribeResponse>
            """);
        using var client = SnsTestClient.Create(handler);

        var arn = await client.SubscribeAsync(
            SnsTestClient.TopicArn,
            "sqs",
            "arn:aws:sqs:eu-west-1:123456789012:q",
            new Dictionary<string, string>
            {
                ["RawMessageDelivery"] = "true",
                ["FilterPolicy"] = policy,
                ["FilterPolicyScope"] = "MessageAttributes",
            },
            CancellationToken.None);

        Assert.Equal("arn:aws:sns:eu-west-1:123456789012:fanout:1f2e", arn);
        var sent = Assert.Single(handler.Requests);
        var expected = new Dictionary<string, string>
        {
            ["Action"] = "Subscribe",
            ["Version"] = "2010-03-31",
            ["TopicArn"] = SnsTestClient.TopicArn,
            ["Protocol"] = "sqs",
            ["Endpoint"] = "arn:aws:sqs:eu-west-1:123456789012:q",
            ["Attributes.entry.1.key"] = "FilterPolicy",
            ["Attributes.entry.1.value"] = policy,
            ["Attributes.entry.2.key"] = "FilterPolicyScope",
            ["Attributes.entry.2.value"] = "MessageAttributes",
            ["Attributes.entry.3.key"] = "RawMessageDelivery",
            ["Attributes.entry.3.value"] = "true",
            ["ReturnSubscriptionArn"] = "true",
        };
        Assert.Equal(expected, sent.Form);
        Assert.Contains(
            "&Attributes.entry.1.value=%7B%22kind%22%3A%5B%22chunk%20end%22%5D%2C%22size%22%3A%5B%7B%22numeric%22%3A%5B%22%3E%22%2C0%5D%7D%5D%7D&",
            sent.Body,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenPublishingWithAttributes_EachBecomesAStringMessageAttributeEntry()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, SnsXml.Publish("m-1"));
        using var client = SnsTestClient.Create(handler);

        var id = await client.PublishAsync(
            SnsTestClient.TopicArn,
            "{\"seq\":7}",
            new Dictionary<string, string> { ["stream"] = "s 1", ["kind"] = "chunk" },
            CancellationToken.None);

        Assert.Equal("m-1", id);
        var form = Assert.Single(handler.Requests).Form;
        Assert.Equal("{\"seq\":7}", form["Message"]);
        Assert.Equal("kind", form["MessageAttributes.entry.1.Name"]);
        Assert.Equal("String", form["MessageAttributes.entry.1.Value.DataType"]);
        Assert.Equal("chunk", form["MessageAttributes.entry.1.Value.StringValue"]);
        Assert.Equal("stream", form["MessageAttributes.entry.2.Name"]);
        Assert.Equal("String", form["MessageAttributes.entry.2.Value.DataType"]);
        Assert.Equal("s 1", form["MessageAttributes.entry.2.Value.StringValue"]);
        Assert.Equal(10, form.Count);
    }

    [Fact]
    public async Task WhenCreatingATopicWithTags_TagsAreKeyValueMembers()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, $"""
            <CreateTopicResponse xmlns="{SnsXml.Namespace}">
              <CreateTopicResult><TopicArn>{SnsTestClient.TopicArn}</TopicArn></CreateTopicResult>
              <ResponseMetadata><RequestId>a8dec8b3-33a4-11df-8963-01868b7c937a</RequestId></ResponseMetadata>
            </CreateTopicResponse>
            """);
        using var client = SnsTestClient.Create(handler);

        var arn = await client.CreateTopicAsync("fanout", new Dictionary<string, string> { ["owner"] = "s3fanout", ["env"] = "test" }, CancellationToken.None);

        Assert.Equal(SnsTestClient.TopicArn, arn);
        var expected = new Dictionary<string, string>
        {
            ["Action"] = "CreateTopic",
            ["Version"] = "2010-03-31",
            ["Name"] = "fanout",
            ["Tags.member.1.Key"] = "env",
            ["Tags.member.1.Value"] = "test",
            ["Tags.member.2.Key"] = "owner",
            ["Tags.member.2.Value"] = "s3fanout",
        };
        Assert.Equal(expected, Assert.Single(handler.Requests).Form);
    }

    [Fact]
    public async Task WhenSettingATopicAttribute_NameAndValueAreSent()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, $"""
            <SetTopicAttributesResponse xmlns="{SnsXml.Namespace}">
              <ResponseMetadata><RequestId>a8763b99-33a7-11df-a9b7-05d48da6f042</RequestId></ResponseMetadata>
            </SetTopicAttributesResponse>
            """);
        using var client = SnsTestClient.Create(handler);

        await client.SetTopicAttributesAsync(SnsTestClient.TopicArn, "DisplayName", "Fan out", CancellationToken.None);

        var form = Assert.Single(handler.Requests).Form;
        Assert.Equal("SetTopicAttributes", form["Action"]);
        Assert.Equal("DisplayName", form["AttributeName"]);
        Assert.Equal("Fan out", form["AttributeValue"]);
    }

    [Fact]
    public async Task WhenUnsubscribing_TheSubscriptionArnIsSent()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, $"""
            <UnsubscribeResponse xmlns="{SnsXml.Namespace}">
              <ResponseMetadata><RequestId>18e0ac39-3776-11df-84c0-b93cc1666b84</RequestId></ResponseMetadata>
            </UnsubscribeResponse>
            """);
        using var client = SnsTestClient.Create(handler);

        await client.UnsubscribeAsync(SnsTestClient.TopicArn + ":1f2e", CancellationToken.None);

        var form = Assert.Single(handler.Requests).Form;
        Assert.Equal("Unsubscribe", form["Action"]);
        Assert.Equal(SnsTestClient.TopicArn + ":1f2e", form["SubscriptionArn"]);
    }

    [Theory]
    [InlineData("us-east-1", "https://sns.us-east-1.amazonaws.com/")]
    [InlineData("eu-central-2", "https://sns.eu-central-2.amazonaws.com/")]
    [InlineData("cn-north-1", "https://sns.cn-north-1.amazonaws.com.cn/")]
    public void WhenOnlyARegionIsGiven_TheEndpointIsThatRegionsSnsHost(string region, string expected) =>
        Assert.Equal(new Uri(expected), SnsClient.ResolveEndpoint(new SnsClientOptions { Region = region }));

    [Fact]
    public void WhenAServiceUrlIsGiven_ItWinsOverTheRegion() =>
        Assert.Equal(
            new Uri("http://127.0.0.1:4566"),
            SnsClient.ResolveEndpoint(new SnsClientOptions { ServiceUrl = new Uri("http://127.0.0.1:4566"), Region = "eu-west-1" }));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("evil.example.com/x")]
    [InlineData("US-EAST-1")]
    public void WhenNeitherAServiceUrlNorAValidRegionIsGiven_TheOptionsAreRejected(string? region) =>
        Assert.Throws<ArgumentException>(() => SnsClient.ResolveEndpoint(new SnsClientOptions { Region = region }));
}
