using System.Globalization;
using System.Net;
using S3Fanout.Shared.Aws.Sns;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

/// <summary>A machine whose clock is minutes off: SNS refuses the signature's time and the client corrects it, as the SDK does.</summary>
public sealed class SnsClockSkewTests
{
    private static readonly Dictionary<string, string> NoAttributes = [];
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData("SignatureDoesNotMatch", "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)")]
    [InlineData("RequestExpired", "Request has expired.")]
    public async Task A_request_refused_for_its_time_is_signed_again_with_SNS_time(string code, string message)
    {
        var serverTime = SnsTestClient.SigningTime + Skew;
        var handler = new CapturingHandler()
            .RespondAt(HttpStatusCode.Forbidden, SnsXml.Error("Sender", code, message), serverTime)
            .RespondAt(HttpStatusCode.OK, SnsXml.Publish("m-1"), serverTime)
            .RespondAt(HttpStatusCode.OK, SnsXml.Publish("m-2"), serverTime);
        using var client = SnsTestClient.Create(handler, out var time);

        Assert.Equal("m-1", await client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));
        Assert.Equal("m-2", await client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal(3, handler.Requests.Count);
        Assert.Equal(AmzDate(SnsTestClient.SigningTime), handler.Requests[0].Header("X-Amz-Date"));
        Assert.Equal(AmzDate(serverTime), handler.Requests[1].Header("X-Amz-Date"));
        Assert.Equal(AmzDate(serverTime), handler.Requests[2].Header("X-Amz-Date"));
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task A_refusal_whose_date_agrees_with_the_clock_is_a_real_refusal()
    {
        var handler = new CapturingHandler()
            .RespondAt(HttpStatusCode.Forbidden, SnsXml.Error("Sender", "SignatureDoesNotMatch", "The request signature we calculated does not match"),
                SnsTestClient.SigningTime + TimeSpan.FromSeconds(30));
        using var client = SnsTestClient.Create(handler);

        var refused = await Assert.ThrowsAsync<SnsException>(() => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal("SignatureDoesNotMatch", refused.Code);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task A_clock_that_stays_refused_after_the_correction_fails_without_a_loop()
    {
        var serverTime = SnsTestClient.SigningTime + Skew;
        var handler = new CapturingHandler()
            .RespondAt(HttpStatusCode.Forbidden, SnsXml.Error("Sender", "SignatureDoesNotMatch", "Signature expired"), serverTime)
            .RespondAt(HttpStatusCode.Forbidden, SnsXml.Error("Sender", "SignatureDoesNotMatch", "Signature expired"), serverTime + Skew);
        using var client = SnsTestClient.Create(handler);

        var refused = await Assert.ThrowsAsync<SnsException>(() => client.PublishAsync(SnsTestClient.TopicArn, "m", NoAttributes, CancellationToken.None));

        Assert.Equal("SignatureDoesNotMatch", refused.Code);
        Assert.Equal(2, handler.Requests.Count);
    }

    private static string AmzDate(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
