using System.Net;
using System.Text;
using Amazon.Runtime;
using S3Fanout.Shared.Aws.Sns;
using Xunit;

namespace S3Fanout.UnitTests.Sns;

/// <summary>
/// The expected Authorization values come from an independent SigV4 implementation, botocore 1.43.11
/// (botocore.auth.SigV4Auth, the signer inside aws-cli), with its clock pinned to 2015-08-30T12:36:00Z:
/// <code>
/// req = AWSRequest(method="POST", url=URL, data=BODY, headers={
///     "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
///     "X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
/// creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", TOKEN_OR_NONE)
/// with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2015, 8, 30, 12, 36, 0)):
///     SigV4Auth(creds, "sns", REGION).add_auth(req)
/// print(req.headers["Authorization"])
/// </code>
/// X-Amz-Content-SHA256 is passed to botocore because AWSSDK.Core always adds and signs it.
/// </summary>
public sealed class SnsSignatureTests
{
    private const string ListTopicsBody = "Action=ListTopics&Version=2010-03-31";

    // AWS's documented example session token; it contains '/', '+' and '=' on purpose.
    private const string SessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    private static readonly DateTime FixedTime = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    [Fact]
    public void WhenSigningAFixedRequest_AuthorizationMatchesBotocore()
    {
        var headers = Sign("https://sns.us-east-1.amazonaws.com/", new ImmutableCredentials(SnsTestClient.AccessKey, SnsTestClient.SecretKey, null));

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sns/aws4_request, " +
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, " +
            "Signature=48e730e68105393a8ed46ccf0bb9c2c59997c326cd6ac4dd0b639c31589af285",
            headers["Authorization"]);
        Assert.Equal("20150830T123600Z", headers["X-Amz-Date"]);
        Assert.Equal("sns.us-east-1.amazonaws.com", headers["Host"]);
        Assert.False(headers.ContainsKey(SnsRequestSigner.SecurityTokenHeader));
    }

    [Fact]
    public void WhenCredentialsHaveASessionToken_TheTokenIsSentAndSigned()
    {
        var headers = Sign("https://sns.us-east-1.amazonaws.com/", new ImmutableCredentials(SnsTestClient.AccessKey, SnsTestClient.SecretKey, SessionToken));

        Assert.Equal(SessionToken, headers[SnsRequestSigner.SecurityTokenHeader]);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sns/aws4_request, " +
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, " +
            "Signature=8ebd941dbec959743841a825f7ca4ecdba04e1efb46c58425c87549d30550249",
            headers["Authorization"]);
    }

    [Fact]
    public void WhenEndpointIsAnEmulatorUrl_HostKeepsThePortAndSignatureMatchesBotocore()
    {
        var headers = Sign("http://127.0.0.1:4566/", new ImmutableCredentials(SnsTestClient.AccessKey, SnsTestClient.SecretKey, null));

        Assert.Equal("127.0.0.1:4566", headers["Host"]);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sns/aws4_request, " +
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, " +
            "Signature=882eceb146539fe8cc65f41fcf8b8cafd9ee9dad80031a6e8d54642785cd4173",
            headers["Authorization"]);
    }

    [Fact]
    public async Task WhenClientPublishes_TheRequestOnTheWireCarriesTheBotocoreSignature()
    {
        var handler = new CapturingHandler().Respond(HttpStatusCode.OK, SnsXml.Publish());
        using var client = SnsTestClient.Create(handler);

        await client.PublishAsync(SnsTestClient.TopicArn, "hello world", new Dictionary<string, string>(), CancellationToken.None);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(new Uri("https://sns.eu-west-1.amazonaws.com/"), sent.Uri);
        Assert.Equal(
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3Afanout&Message=hello%20world",
            sent.Body);
        Assert.Equal("application/x-www-form-urlencoded; charset=utf-8", sent.Header("Content-Type"));
        Assert.Equal("20150830T123600Z", sent.Header("X-Amz-Date"));
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/sns/aws4_request, " +
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, " +
            "Signature=d1b21f09949a4990f40576f5872e4f0938c2cd02726713cae248b2b7b1d1cf32",
            sent.Header("Authorization"));
    }

    [Fact]
    public async Task WhenRetrying_CredentialsAreFetchedAndTheRequestSignedAgain()
    {
        var credentials = new RotatingCredentials();
        var handler = new CapturingHandler()
            .Respond(HttpStatusCode.ServiceUnavailable, SnsXml.Error("Receiver", "ServiceUnavailable", "try again"))
            .Respond(HttpStatusCode.OK, SnsXml.Publish());
        using var client = SnsTestClient.Create(handler, out _, credentials: credentials);

        await client.PublishAsync(SnsTestClient.TopicArn, "m", new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(2, credentials.Fetches);
        Assert.Equal(new[] { "token-1", "token-2" }, handler.Requests.Select(r => r.Header(SnsRequestSigner.SecurityTokenHeader)));
        Assert.NotEqual(handler.Requests[0].Header("Authorization"), handler.Requests[1].Header("Authorization"));
    }

    [Fact]
    public async Task WhenServiceRejectsTheRequest_TheErrorNeverShowsTheSecretOrTheSignature()
    {
        var handler = new CapturingHandler()
            .Respond(HttpStatusCode.Forbidden, SnsXml.Error("Sender", "SignatureDoesNotMatch", "The request signature we calculated does not match"));
        using var client = SnsTestClient.Create(handler, out _, credentials: new SessionAWSCredentials(SnsTestClient.AccessKey, SnsTestClient.SecretKey, SessionToken));

        var ex = await Assert.ThrowsAsync<SnsException>(
            () => client.PublishAsync(SnsTestClient.TopicArn, "m", new Dictionary<string, string>(), CancellationToken.None));

        var text = ex.ToString();
        Assert.DoesNotContain(SnsTestClient.SecretKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=", text, StringComparison.Ordinal);
    }

    private static IReadOnlyDictionary<string, string> Sign(string endpoint, ImmutableCredentials credentials) =>
        new SnsRequestSigner("us-east-1", _ => FixedTime).Sign(new Uri(endpoint), Encoding.ASCII.GetBytes(ListTopicsBody), credentials);
}
