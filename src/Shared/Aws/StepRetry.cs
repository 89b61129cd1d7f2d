using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one retry policy for whole steps (put-then-verify, fetch-then-verify): -t attempts with exponential backoff
/// and jitter. Failures that retrying cannot fix (access denied, missing bucket, usage errors) are not retried.
/// </summary>
internal sealed class StepRetry
{
    private readonly ResiliencePipeline _pipeline;

    public StepRetry(int tries, ILogger logger, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        if (tries < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tries), tries, "tries must be at least 1");
        }
        Tries = tries;
        _pipeline = tries == 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = tries - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay ?? TimeSpan.FromMilliseconds(500),
                MaxDelay = maxDelay ?? TimeSpan.FromSeconds(10),
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsRetryable),
                OnRetry = args =>
                {
                    Telemetry.S3FanoutMetrics.Retries.Add(1);
                    logger.LogInformation("Attempt {Attempt} of {Tries} failed, retrying in {Delay}: {Error}",
                        args.AttemptNumber + 1, tries, args.RetryDelay, AwsErrors.Describe(args.Outcome.Exception!));
                    return ValueTask.CompletedTask;
                },
            }).Build();
    }

    public int Tries { get; }

    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> step, CancellationToken ct) =>
        _pipeline.ExecuteAsync(step, ct);

    public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> step, CancellationToken ct) =>
        _pipeline.ExecuteAsync(step, ct);

    public static bool IsRetryable(Exception e)
    {
        if (e is OperationCanceledException or UsageException)
        {
            return false;
        }
        if (e is FatalException f)
        {
            return f.ExitCode is ExitCodes.Transfer or ExitCodes.Integrity or ExitCodes.Unreachable;
        }
        if (AwsErrors.IsNotFound(e))
        {
            return false;
        }
        var code = AwsErrors.ErrorCode(e);
        return code is not ("NoSuchBucket" or "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch"
            or "AuthorizationError" or "InvalidClientTokenId" or "ExpiredToken");
    }
}
