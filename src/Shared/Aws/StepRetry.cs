using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one resilience pipeline for whole steps (put-then-verify, fetch-then-verify, a manifest read, an SNS call):
/// -t attempts with exponential backoff and equal jitter, each attempt bounded by its own timeout, and only failures
/// that <see cref="AwsErrors.Classify"/> calls retryable are tried again. With a <see cref="SlowDownGovernor"/>, a
/// throttling answer (503 SlowDown, 429) is not a failure: it waits the governor's shared delay and does not count
/// against -t, until no call of the process succeeded for the slow-down limit.
/// </summary>
/// <remarks>
/// The AWS SDK for .NET bounds a call only until the response headers arrive (HttpClient's Timeout), and reading the
/// response body happens after the call returned, so nothing in the SDK stops a body that stalls halfway
/// (https://docs.aws.amazon.com/sdk-for-net/v4/developer-guide/retries-timeouts.html). Calls that stream a segment pass
/// no fixed attempt timeout here and bound themselves with a <see cref="ProgressWatchdog"/> instead, since a 5 GiB
/// segment may rightly take minutes but should never sit idle. Polly's own attempt count is unbounded; this class counts
/// failures itself (per execution, in the <see cref="ResilienceContext"/>) so that throttling answers can be left out.
/// </remarks>
internal sealed class StepRetry
{
    /// <summary>Per-attempt limit of a call without a large body, unless configured otherwise.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(30);

    /// <summary>As <c>tries</c>: no limit, until the caller's token is cancelled (a subscription that follows the reader's life).</summary>
    public const int Unlimited = int.MaxValue;

    /// <summary>How long throttling answers are absorbed with no success anywhere in the process, unless configured otherwise.</summary>
    public static readonly TimeSpan DefaultSlowDownLimit = TimeSpan.FromSeconds(60);

    private static readonly ResiliencePropertyKey<StepState> StateKey = new("s3fanout.step");

    private readonly ResiliencePipeline _pipeline;
    private readonly SlowDownGovernor? _slowDowns;
    private readonly TimeProvider _time;

    /// <param name="attemptTimeout">Limit of one attempt; <see cref="Timeout.InfiniteTimeSpan"/> for none (streamed transfers).</param>
    /// <param name="slowDowns">The governor that absorbs throttling answers; null: they are failures like any other.</param>
    /// <param name="slowDownLimit">How long without any success the governor may absorb them (<see cref="DefaultSlowDownLimit"/>).</param>
    public StepRetry(int tries, ILogger logger, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, TimeSpan? attemptTimeout = null,
        TimeProvider? time = null, SlowDownGovernor? slowDowns = null, TimeSpan? slowDownLimit = null)
    {
        if (tries < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tries), tries, "tries must be at least 1");
        }
        Tries = tries;
        _slowDowns = slowDowns;
        _time = time ?? TimeProvider.System;
        var limit = slowDownLimit ?? DefaultSlowDownLimit;
        var timeout = attemptTimeout ?? DefaultAttemptTimeout;
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && Decide(args.Context, e, limit, baseDelay, maxDelay)),
            // Equal jitter (see Backoff): clients that failed together do not retry together, and -t attempts always
            // wait at least half their ceilings (0.25 + 0.5 + 1 + 2 + 4 + 5 + 5 s = 17.75 s before the 8th of -t 8),
            // so an endpoint away for less than that cannot fail a step by a run of short draws.
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(State(args.Context).NextDelay),
            OnRetry = args =>
            {
                var state = State(args.Context);
                var line = AwsErrors.Classify(args.Outcome.Exception!).Line;
                if (state.SlowedDown)
                {
                    Telemetry.S3FanoutMetrics.SlowDowns.Add(1);
                    logger.LogDebug("Asked to slow down, trying again in {Delay} (not counted against {Tries} tries): {Error}", args.RetryDelay, tries, line);
                }
                else
                {
                    Telemetry.S3FanoutMetrics.Retries.Add(1);
                    if (tries == Unlimited)
                    {
                        logger.LogInformation("Attempt {Attempt} failed, retrying in {Delay}: {Error}", state.Failures, args.RetryDelay, line);
                    }
                    else
                    {
                        logger.LogInformation("Attempt {Attempt} of {Tries} failed, retrying in {Delay}: {Error}", state.Failures, tries, args.RetryDelay, line);
                    }
                }
                return ValueTask.CompletedTask;
            },
        });
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = timeout });
        }
        _pipeline = builder.Build();
    }

    public int Tries { get; }

    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> step, CancellationToken ct)
    {
        var context = Begin(ct);
        try
        {
            var result = await _pipeline.ExecuteAsync(static (ctx, s) => s(ctx.CancellationToken), context, step).ConfigureAwait(false);
            _slowDowns?.Succeeded();
            return result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> step, CancellationToken ct)
    {
        var context = Begin(ct);
        try
        {
            await _pipeline.ExecuteAsync(static (ctx, s) => s(ctx.CancellationToken), context, step).ConfigureAwait(false);
            _slowDowns?.Succeeded();
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResilienceContext Begin(CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(StateKey, new StepState(_time.GetUtcNow()));
        return context;
    }

    /// <summary>Whether to try again, and after how long: a throttling answer by the governor, a failure by -t.</summary>
    private bool Decide(ResilienceContext context, Exception e, TimeSpan limit, TimeSpan? baseDelay, TimeSpan? maxDelay)
    {
        var failure = AwsErrors.Classify(e);
        if (!failure.Retryable)
        {
            return false;
        }
        var state = State(context);
        if (failure.Kind == FailureKind.Throttled && _slowDowns?.SlowedDown(state.Began, limit) is { } wait)
        {
            state.SlowedDown = true;
            state.NextDelay = wait;
            return true;
        }
        state.SlowedDown = false;
        state.Failures++;
        state.NextDelay = Backoff.EqualJitterDelay(state.Failures, null, baseDelay ?? TimeSpan.FromMilliseconds(500), maxDelay ?? TimeSpan.FromSeconds(10));
        return state.Failures < Tries;
    }

    private static StepState State(ResilienceContext context) =>
        context.Properties.TryGetValue(StateKey, out var state) ? state : throw new InvalidOperationException("a step runs only through StepRetry.ExecuteAsync");

    /// <summary>One execution's failures so far, whether the last answer was throttling, and the wait it chose.</summary>
    private sealed class StepState(DateTimeOffset began)
    {
        public DateTimeOffset Began { get; } = began;
        public int Failures { get; set; }
        public bool SlowedDown { get; set; }
        public TimeSpan NextDelay { get; set; }
    }
}
