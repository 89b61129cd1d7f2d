using System.Net;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

public sealed class SnsRetryTests
{
    private static readonly Dictionary<string, string> NoAttributes = [];

    [Fact]
    public async Task WhenServiceAnswers503_PublishIsRetried()
    {
        var handler = new CapturingHandler()
            .Respond(HttpStatusCode.ServiceUnavailable, SnsXml.Error("Receiver", "ServiceUnavailable", "Service is unavailable"))
            .Respond(HttpStatusCode.OK, SnsXml.Publish("m-2"));
        using var client = SnsTestClient.Create(handler, out var time);

        var id = await client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None);

        Assert.Equal("m-2", id);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(handler.Requests[0].Body, handler.Requests[1].Body);
        Assert.InRange(Assert.Single(time.RequestedDelays), TimeSpan.Zero, Backoff.Base);
    }

    [Fact]
    public async Task WhenServiceAnswers403AuthorizationError_PublishFailsAtOnce()
    {
        var handler = new CapturingHandler()
            .Respond(HttpStatusCode.Forbidden, SnsXml.Error("Sender", "AuthorizationError", "User is not authorized to perform SNS:Publish"));
        using var client = SnsTestClient.Create(handler, out var time);

        var ex = await Assert.ThrowsAsync<SnsException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal("AuthorizationError", ex.Code);
        Assert.Equal(403, ex.StatusCode);
        Assert.False(AwsErrors.IsRetryable(ex));
        Assert.Single(handler.Requests);
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task WhenTheTopicIsNotFound_TheCallFailsAtOnce()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.NotFound, SnsXml.Error("Sender", "NotFound", "Topic does not exist"));
        using var client = SnsTestClient.Create(handler);

        var ex = await Assert.ThrowsAsync<SnsException>(() => client.GetTopicAttributesAsync(SnsTestClient.TopicArn, CancellationToken.None));

        Assert.Equal("NotFound", ex.Code);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task WhenServiceKeepsThrottling_AttemptsAreBoundedAndBackoffGrows()
    {
        var handler = new CapturingHandler();
        for (var i = 0; i < 3; i++)
        {
            handler.Respond(HttpStatusCode.BadRequest, SnsXml.Error("Sender", "Throttling", "Rate exceeded"));
        }

        using var client = SnsTestClient.Create(handler, out var time, maxAttempts: 3);

        var ex = await Assert.ThrowsAsync<SnsException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal("Throttling", ex.Code);
        Assert.True(AwsErrors.IsRetryable(ex));
        Assert.Contains("gave up after 3 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(2, time.RequestedDelays.Count);
        Assert.InRange(time.RequestedDelays[0], TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        Assert.InRange(time.RequestedDelays[1], TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task WhenTheConnectionFails_TheCallIsRetried()
    {
        var handler = new CapturingHandler()
            .Throw(new HttpRequestException("Connection refused"))
            .Respond(HttpStatusCode.OK, SnsXml.Publish("m-1"));
        using var client = SnsTestClient.Create(handler);

        Assert.Equal("m-1", await client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task WhenTheConnectionNeverRecovers_TheErrorIsATransientNetworkError()
    {
        var handler = new CapturingHandler()
            .Throw(new HttpRequestException("Connection refused"))
            .Throw(new HttpRequestException("Connection refused"));
        using var client = SnsTestClient.Create(handler, maxAttempts: 2);

        var ex = await Assert.ThrowsAsync<SnsException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal("NetworkError", ex.Code);
        Assert.Equal(0, ex.StatusCode);
        Assert.True(AwsErrors.IsRetryable(ex));
        Assert.IsType<HttpRequestException>(ex.InnerException);
    }

    [Fact]
    public async Task WhenAnAttemptTimesOut_ItIsRetried()
    {
        var handler = new CapturingHandler().Hang().Respond(HttpStatusCode.OK, SnsXml.Publish("m-1"));
        using var client = SnsTestClient.Create(handler, out _, attemptTimeout: TimeSpan.FromMilliseconds(200));

        Assert.Equal("m-1", await client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task WhenTheCallerCancels_TheCallStopsWithoutRetrying()
    {
        var handler = new CapturingHandler().Hang();
        using var client = SnsTestClient.Create(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, cts.Token));
        Assert.Single(handler.Requests);
    }
}
