using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Retry;

public sealed class StepRetryTests
{
    private static StepRetry Retry(int tries) =>
        new(tries, NullLogger.Instance, baseDelay: TimeSpan.FromMilliseconds(1), maxDelay: TimeSpan.FromMilliseconds(5));

    private static AmazonS3Exception S3Error(string code, HttpStatusCode status) =>
        new($"{code} from S3", ErrorType.Sender, code, "request-id", status);

    /// <summary>Runs a step that throws <paramref name="failure"/> on every attempt; returns how many attempts were made.</summary>
    private static async Task<(int Attempts, Exception Thrown)> AlwaysFailing(StepRetry retry, Exception failure)
    {
        var attempts = 0;
        var thrown = await Record.ExceptionAsync(() => retry.ExecuteAsync(_ =>
        {
            attempts++;
            throw failure;
        }, CancellationToken.None).AsTask().Within("the retried step"));
        return (attempts, thrown!);
    }

    public static TheoryData<Exception> Transient() =>
    [
        new IOException("connection reset"),
        new HttpRequestException("no route to host"),
        new FatalException(ExitCodes.Integrity, "ETag differs from the MD5 sent", retryable: true),
        new SegmentCorruptException(3, "crc64nvme mismatch"),
        new TimeoutException("no byte for 30 s"),
        S3Error("InternalError", HttpStatusCode.InternalServerError),
        S3Error("SlowDown", HttpStatusCode.ServiceUnavailable),
        S3Error("RequestTimeout", HttpStatusCode.BadRequest),
        S3Error("BadDigest", HttpStatusCode.BadRequest),
        new AmazonClientException("Expected hash not equal to calculated hash"),
        new System.Xml.XmlException("Unexpected end of file while parsing Name has occurred."),
    ];

    public static TheoryData<Exception> Permanent() =>
    [
        new UsageException("-n must be 1-64"),
        new FatalException(ExitCodes.Access, "access denied"),
        new FatalException(ExitCodes.NotFound, "no such broadcast"),
        new FatalException(ExitCodes.LocalIo, "stdout closed"),
        new FatalException(ExitCodes.Integrity, ".manifest is malformed"),
        new InvalidOperationException("a bug"),
        S3Error("InvalidArgument", HttpStatusCode.BadRequest),
        new OperationCanceledException(),
        S3Error("NoSuchBucket", HttpStatusCode.NotFound),
        S3Error("AccessDenied", HttpStatusCode.Forbidden),
        S3Error("InvalidAccessKeyId", HttpStatusCode.Forbidden),
        S3Error("SignatureDoesNotMatch", HttpStatusCode.Forbidden),
        S3Error("ExpiredToken", HttpStatusCode.BadRequest),
        S3Error("NoSuchKey", HttpStatusCode.NotFound),
        S3Error("NotFound", HttpStatusCode.NotFound),
        S3Error("", HttpStatusCode.NotFound),
    ];

    [Fact]
    public async Task WhenAStepFailsTransientlyThenSucceeds_ItsResultIsReturned()
    {
        var attempts = 0;

        var result = await Retry(5).ExecuteAsync(_ =>
        {
            attempts++;
            return attempts < 3 ? throw new IOException($"attempt {attempts} failed") : ValueTask.FromResult("stored");
        }, CancellationToken.None).AsTask().Within("the retried step");

        Assert.Equal("stored", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task WhenAStepWithoutResultFailsOnceThenSucceeds_ItIsRunTwice()
    {
        var attempts = 0;

        await Retry(2).ExecuteAsync(_ =>
        {
            attempts++;
            return attempts == 1 ? throw new IOException("first attempt failed") : ValueTask.CompletedTask;
        }, CancellationToken.None).AsTask().Within("the retried step");

        Assert.Equal(2, attempts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task WhenAStepKeepsFailing_ItIsTriedExactlyTriesTimesAndTheLastErrorSurfaces(int tries)
    {
        var failure = new IOException("connection reset");

        var (attempts, thrown) = await AlwaysFailing(Retry(tries), failure);

        Assert.Equal(tries, attempts);
        Assert.Same(failure, thrown);
    }

    [Theory]
    [MemberData(nameof(Transient))]
    public async Task WhenTheFailureMightPass_ItIsRetried(Exception failure)
    {
        Assert.True(AwsErrors.IsRetryable(failure));

        var (attempts, _) = await AlwaysFailing(Retry(3), failure);

        Assert.Equal(3, attempts);
    }

    [Theory]
    [MemberData(nameof(Permanent))]
    public async Task WhenRetryingCannotHelp_TheStepIsTriedOnceAndTheErrorSurfaces(Exception failure)
    {
        Assert.False(AwsErrors.IsRetryable(failure));

        var (attempts, thrown) = await AlwaysFailing(Retry(5), failure);

        Assert.Equal(1, attempts);
        Assert.Same(failure, thrown);
    }

    [Fact]
    public async Task WhenThePermanentErrorIsWrapped_ItIsStillRecognised()
    {
        var wrapped = new InvalidOperationException("step failed", S3Error("AccessDenied", HttpStatusCode.Forbidden));

        var (attempts, _) = await AlwaysFailing(Retry(5), wrapped);

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task WhenTheCallerCancelsDuringBackoff_RetryingStops()
    {
        using var cts = new CancellationTokenSource();
        var retry = new StepRetry(5, NullLogger.Instance, baseDelay: TimeSpan.FromMinutes(10), maxDelay: TimeSpan.FromMinutes(10));
        var attempts = 0;
        var firstAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = retry.ExecuteAsync(_ =>
        {
            attempts++;
            firstAttempt.TrySetResult();
            throw new IOException("connection reset");
        }, cts.Token).AsTask();
        await firstAttempt.Task.Within("the first attempt");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Within("the retry loop to stop"));
        Assert.Equal(1, attempts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void WhenTriesIsBelowOne_ItIsRejected(int tries) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Retry(tries));

    [Fact]
    public void WhenConstructed_TheTriesAreKept() => Assert.Equal(7, Retry(7).Tries);
}
