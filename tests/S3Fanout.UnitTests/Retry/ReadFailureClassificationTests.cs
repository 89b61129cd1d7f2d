using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using Xunit;

namespace S3Fanout.UnitTests.Retry;

/// <summary><see cref="AwsErrors.ClassifyRead"/>: which 403s on a GET or HEAD may mean "missing" (no s3:ListBucket).</summary>
public sealed class ReadFailureClassificationTests
{
    private static AmazonS3Exception S3Error(string? code, HttpStatusCode status) =>
        new($"{code ?? "(no body)"} from S3", ErrorType.Sender, code, "request-id", status);

    [Theory]
    [InlineData("AccessDenied")]
    [InlineData("Forbidden")]
    [InlineData(null)] // a HEAD's 403 has no body to name a code
    public void WhenAReadIsAnswered403_ItIsMissingOrDeniedAndTheLineNamesListBucket(string? code)
    {
        var failure = AwsErrors.ClassifyRead(S3Error(code, HttpStatusCode.Forbidden));

        Assert.Equal(FailureKind.MissingOrDenied, failure.Kind);
        Assert.False(failure.Retryable);
        Assert.Equal(ExitCodes.Access, failure.ExitCode);
        Assert.Contains("s3:ListBucket", failure.Line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("InvalidAccessKeyId")]
    [InlineData("SignatureDoesNotMatch")]
    [InlineData("ExpiredToken")]
    public void WhenTheCredentialsAreRefused_ItStaysAccessDenied(string code)
    {
        Assert.Equal(FailureKind.AccessDenied, AwsErrors.ClassifyRead(S3Error(code, HttpStatusCode.Forbidden)).Kind);
    }

    [Fact]
    public void WhenAReadIsAnswered404_ItIsNotFoundAsBefore()
    {
        Assert.Equal(FailureKind.NotFound, AwsErrors.ClassifyRead(S3Error("NoSuchKey", HttpStatusCode.NotFound)).Kind);
        // Outside a read, a 403 is a plain denial.
        Assert.Equal(FailureKind.AccessDenied, AwsErrors.Classify(S3Error("AccessDenied", HttpStatusCode.Forbidden)).Kind);
    }

    [Fact]
    public void WhenTheSdkCannotReadAnAnswersETagAsHex_ItIsTriedAgain_AndOtherArgumentErrorsStayInternal()
    {
        // What AWSSDKUtils.HexStringToBytes throws for an empty or odd-length ETag.
        var etag = AwsErrors.Classify(new ArgumentOutOfRangeException("hex"));
        Assert.True(etag.Retryable);
        Assert.Equal(ExitCodes.Transfer, etag.ExitCode);
        Assert.Contains("ETag", etag.Line, StringComparison.Ordinal);

        var ours = AwsErrors.Classify(new ArgumentOutOfRangeException("count"));
        Assert.False(ours.Retryable);
        Assert.Equal(FailureKind.Internal, ours.Kind);
    }
}
