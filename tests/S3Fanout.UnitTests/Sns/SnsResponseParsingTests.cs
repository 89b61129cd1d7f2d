using System.Net;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

public sealed class SnsResponseParsingTests
{
    [Theory]
    [InlineData(SnsXml.Namespace)]
    [InlineData("")]
    public void WhenAResponseHasOrLacksTheSnsNamespace_TheResultIsStillRead(string xmlns)
    {
        var xml = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <CreateTopicResponse xmlns="{xmlns}">
              <CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:000000000000:t</TopicArn></CreateTopicResult>
            </CreateTopicResponse>
            """;

        var result = SnsResponseParser.ParseResult("CreateTopic", xml);

        Assert.Equal("arn:aws:sns:us-east-1:000000000000:t", SnsResponseParser.RequiredValue("CreateTopic", result, "TopicArn"));
    }

    [Fact]
    public async Task WhenGettingTopicAttributes_EntriesBecomeADictionary()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, $"""
            <GetTopicAttributesResponse xmlns="{SnsXml.Namespace}">
              <GetTopicAttributesResult>
                <Attributes>
                  <entry><key>Owner</key><value>123456789012</value></entry>
                  <entry><key>Policy</key><value>{"{"}"Version":"2008-10-17"{"}"}</value></entry>
                  <entry><key>DisplayName</key><value></value></entry>
                  <entry><key>TopicArn</key><value>{SnsTestClient.TopicArn}</value></entry>
                </Attributes>
              </GetTopicAttributesResult>
              <ResponseMetadata><RequestId>057f074c-33a7-11df-9540-99d0768312d3</RequestId></ResponseMetadata>
            </GetTopicAttributesResponse>
            """);
        using var client = SnsTestClient.Create(handler);

        var attributes = await client.GetTopicAttributesAsync(SnsTestClient.TopicArn, CancellationToken.None);

        Assert.Equal(4, attributes.Count);
        Assert.Equal("123456789012", attributes["Owner"]);
        Assert.Equal("""{"Version":"2008-10-17"}""", attributes["Policy"]);
        Assert.Equal(string.Empty, attributes["DisplayName"]);
        Assert.Equal(SnsTestClient.TopicArn, attributes["TopicArn"]);
        Assert.Equal("GetTopicAttributes", Assert.Single(handler.Requests).Form["Action"]);
    }

    [Fact]
    public void WhenSnsReturnsAnErrorResponse_ItBecomesAnSnsExceptionWithCodeStatusAndRequestId()
    {
        var ex = SnsResponseParser.ParseError("Publish", 404, "Not Found", SnsXml.Error("Sender", "NotFound", "Topic does not exist"));

        Assert.Equal("NotFound", ex.Code);
        Assert.Equal(404, ex.StatusCode);
        Assert.False(AwsErrors.IsRetryable(ex));
        Assert.Equal("9dd01905-5012-5f99-8663-4b3ecd0dfaef", ex.RequestId);
        Assert.Equal("SNS Publish failed with NotFound (HTTP 404): Topic does not exist", ex.Message);
    }

    [Fact]
    public void WhenAnErrorBodyIsNotXml_TheStatusNamesTheErrorAndTheBodyIsLeftOut()
    {
        var ex = SnsResponseParser.ParseError("Publish", 502, "Bad Gateway", "<html><body>upstream secret-ish page</body>");

        Assert.Equal("Http502", ex.Code);
        Assert.True(AwsErrors.IsRetryable(ex));
        Assert.Equal("SNS Publish failed with Http502 (HTTP 502): Bad Gateway", ex.Message);
    }

    [Theory]
    [InlineData("<PublishResponse><ResponseMetadata/></PublishResponse>")]
    [InlineData("<PublishResponse><PublishResult/></PublishResponse>")]
    [InlineData("not xml")]
    [InlineData("")]
    public async Task WhenASuccessfulResponseLacksTheExpectedResult_TheCallFailsAsMalformed(string body)
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, body);
        using var client = SnsTestClient.Create(handler);

        var ex = await Assert.ThrowsAsync<SnsException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", new Dictionary<string, string>(), CancellationToken.None));

        Assert.Equal("MalformedResponse", ex.Code);
        Assert.Single(handler.Requests);
    }

    [Theory]
    [InlineData(400, "Throttling", true)]
    [InlineData(400, "ThrottledException", true)]
    [InlineData(429, "Throttled", true)]
    [InlineData(400, "RequestLimitExceeded", true)]
    [InlineData(503, "ServiceUnavailable", true)]
    [InlineData(500, "InternalError", true)]
    [InlineData(502, null, true)]
    [InlineData(403, "AuthorizationError", false)]
    [InlineData(404, "NotFound", false)]
    [InlineData(400, "InvalidParameter", false)]
    [InlineData(400, "ValidationError", false)]
    public void WhenClassifyingAnError_OnlyThrottlingAndServerFaultsAreRetried(int status, string? code, bool transient) =>
        Assert.Equal(transient, AwsErrors.IsRetryable(new SnsException(code ?? $"Http{status}", "failed", status)));
}
