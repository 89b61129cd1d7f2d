using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using Xunit;

namespace S3Fanout.UnitTests.Retry;

/// <summary>How the one classifier reads S3's answers to conditional writes.</summary>
public sealed class ConditionalWriteClassificationTests
{
    private static AmazonS3Exception S3Error(string? code, HttpStatusCode status) =>
        new($"{code ?? "(no body)"} from S3", ErrorType.Sender, code, "request-id", status);

    [Theory]
    [InlineData("PreconditionFailed")]
    [InlineData(null)]
    public void A412_IsAnotherWriterFirst_NotRetried_Exit3(string? code)
    {
        var failure = AwsErrors.Classify(S3Error(code, HttpStatusCode.PreconditionFailed));

        Assert.Equal((FailureKind.PreconditionFailed, false, ExitCodes.NotFound), (failure.Kind, failure.Retryable, failure.ExitCode));
    }

    [Fact]
    public void A409ConditionalRequestConflict_IsTriedAgain()
    {
        var failure = AwsErrors.Classify(S3Error("ConditionalRequestConflict", HttpStatusCode.Conflict));

        Assert.Equal(FailureKind.Transient, failure.Kind);
        Assert.True(failure.Retryable);
    }

    [Theory]
    [InlineData("NotImplemented")]
    [InlineData(null)]
    public void A501_IsUnsupported_NotRetriedAsItWas(string? code)
    {
        var failure = AwsErrors.Classify(new AmazonS3Exception("not implemented", ErrorType.Receiver, code, "request-id", HttpStatusCode.NotImplemented));

        Assert.Equal(FailureKind.Unsupported, failure.Kind);
        Assert.False(failure.Retryable);
    }
}
