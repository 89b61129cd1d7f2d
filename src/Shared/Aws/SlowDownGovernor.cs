namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one per-process answer to "slow down" (503 SlowDown, 429, Throttling: <see cref="FailureKind.Throttled"/>), kept
/// apart from failure retries: <see cref="StepRetry"/> counts failures against -t, and asks here how long to wait after a
/// throttling answer, which it does not count. Every step of the process shares one delay, widened on each throttling
/// answer and narrowed on each success, so a whole fleet of workers backs off together and speeds up again together.
/// </summary>
/// <remarks>
/// S3: "When you receive a 503 SlowDown error, retry the request that caused it", and "configure your application to
/// gradually increase the request rate [...] retry failed requests using an exponential backoff algorithm"
/// (https://aws.amazon.com/premiumsupport/knowledge-center/s3-resolve-503-slowdown-throttling/,
/// https://aws.amazon.com/premiumsupport/knowledge-center/s3-503-within-request-rate-prefix/). The S3 client also runs the
/// SDK's adaptive retry mode (client-side rate limiting, see <see cref="AwsConnection"/>); this governor covers what the
/// SDK's few attempts leave over, and every other service call. The delay doubles on a throttling answer (from
/// <see cref="Floor"/> up to <see cref="Ceiling"/>), shrinks by a quarter on a success and drops to none below the floor;
/// each wait is drawn with equal jitter under it (<see cref="Backoff"/>). Nothing waits forever: once no call of the
/// process has succeeded for <see cref="StepRetry"/>'s slow-down limit, a throttling answer counts as a failure again.
/// </remarks>
internal sealed class SlowDownGovernor(TimeProvider? time = null)
{
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private TimeSpan _delay;
    private DateTimeOffset _lastSuccess = (time ?? TimeProvider.System).GetUtcNow();
    private long _slowDowns;

    /// <summary>The governor of this process: every <see cref="StepRetry"/> shares it unless given its own.</summary>
    public static SlowDownGovernor Shared { get; } = new();

    /// <summary>Throttling answers absorbed so far.</summary>
    public long SlowDowns => Interlocked.Read(ref _slowDowns);

    /// <summary>The current delay ceiling.</summary>
    public TimeSpan CurrentDelay
    {
        get
        {
            lock (_gate)
            {
                return _delay;
            }
        }
    }

    public static bool IsSlowDown(Exception e) => AwsErrors.Classify(e).Kind == FailureKind.Throttled;

    /// <summary>A call succeeded: narrow the delay.</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            _lastSuccess = _time.GetUtcNow();
            _delay = _delay * 3 / 4 < Floor ? TimeSpan.Zero : _delay * 3 / 4;
        }
    }

    /// <summary>
    /// A call was throttled: widen the delay, and return how long to wait before the next try, or null when no call of
    /// this process succeeded for <paramref name="limit"/> (and the step began longer ago than that): then the throttling
    /// answer is a failure like any other.
    /// </summary>
    public TimeSpan? SlowedDown(DateTimeOffset stepBegan, TimeSpan limit, Random? rng = null)
    {
        Interlocked.Increment(ref _slowDowns);
        TimeSpan ceiling;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now - (_lastSuccess > stepBegan ? _lastSuccess : stepBegan) > limit)
            {
                return null;
            }
            _delay = _delay < Floor ? Floor : TimeSpan.FromTicks(Math.Min(Ceiling.Ticks, _delay.Ticks * 2));
            ceiling = _delay;
        }
#pragma warning disable CA5394 // Jitter needs spread, not unpredictability.
        var draw = (rng ?? Random.Shared).NextDouble();
#pragma warning restore CA5394
        return TimeSpan.FromTicks((ceiling.Ticks / 2) + (long)(ceiling.Ticks / 2 * draw));
    }
}
