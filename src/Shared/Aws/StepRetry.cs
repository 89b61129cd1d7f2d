using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one resilience pipeline for whole steps (put-then-verify, fetch-then-verify, a manifest read, an SNS call):
/// -t attempts with exponential backoff and equal jitter, each attempt bounded by its own timeout, and only failures
/// that <see cref="AwsErrors.Classify"/> calls retryable are tried again.
/// </summary>
/// <remarks>
/// The AWS SDK for .NET bounds a call only until the response headers arrive (HttpClient's Timeout), and reading the
/// response body happens after the call returned, so nothing in the SDK stops a body that stalls halfway
/// (https://docs.aws.amazon.com/sdk-for-net/v4/developer-guide/retries-timeouts.html). Calls that stream a segment pass
/// no fixed attempt timeout here and bound themselves with a <see cref="ProgressWatchdog"/> instead, since a 5 GiB
/// segment may rightly take minutes but should never sit idle.
/// </remarks>
internal sealed class StepRetry
{
    /// <summary>Per-attempt limit of a call without a large body, unless configured otherwise.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>As <c>tries</c>: no limit, until the caller's token is cancelled (a subscription that follows the reader's life).</summary>
    public const int Unlimited = int.MaxValue;

    private readonly ResiliencePipeline _pipeline;

    /// <param name="attemptTimeout">Limit of one attempt; <see cref="Timeout.InfiniteTimeSpan"/> for none (streamed transfers).</param>
    public StepRetry(int tries, ILogger logger, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, TimeSpan? attemptTimeout = null, TimeProvider? time = null)
    {
        if (tries < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tries), tries, "tries must be at least 1");
        }
        Tries = tries;
        var timeout = attemptTimeout ?? DefaultAttemptTimeout;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System };
        if (tries > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = tries - 1,
                // Equal jitter (see Backoff): clients that failed together do not retry together, and -t attempts always
                // wait at least half their ceilings (0.25 + 0.5 + 1 + 2 + 4 + 5 + 5 s = 17.75 s before the 8th of -t 8),
                // so an endpoint away for less than that cannot fail a step by a run of short draws.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    Backoff.EqualJitterDelay(args.AttemptNumber + 1, null, baseDelay ?? TimeSpan.FromMilliseconds(500), maxDelay ?? TimeSpan.FromSeconds(10))),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && AwsErrors.IsRetryable(e)),
                OnRetry = args =>
                {
                    Telemetry.S3FanoutMetrics.Retries.Add(1);
                    if (tries == Unlimited)
                    {
                        logger.LogInformation("Attempt {Attempt} failed, retrying in {Delay}: {Error}",
                            args.AttemptNumber + 1, args.RetryDelay, AwsErrors.Classify(args.Outcome.Exception!).Line);
                    }
                    else
                    {
                        logger.LogInformation("Attempt {Attempt} of {Tries} failed, retrying in {Delay}: {Error}",
                            args.AttemptNumber + 1, tries, args.RetryDelay, AwsErrors.Classify(args.Outcome.Exception!).Line);
                    }
                    return ValueTask.CompletedTask;
                },
            });
        }
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = timeout });
        }
        _pipeline = builder.Build();
    }

    public int Tries { get; }

    public ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> step, CancellationToken ct) =>
        _pipeline.ExecuteAsync(step, ct);

    public ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> step, CancellationToken ct) =>
        _pipeline.ExecuteAsync(step, ct);
}
