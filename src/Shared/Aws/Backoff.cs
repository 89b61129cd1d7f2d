namespace S3Fanout.Shared.Aws;

/// <summary>
/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
/// spreading retries uniformly over [0, min(cap, base * 2^(attempt-1))) keeps many clients that failed
/// together from retrying together.
/// </summary>
internal static class Backoff
{
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    // 2^16 * 100 ms is far past the cap already; clamping keeps the shift from overflowing.
    private const int MaxExponent = 16;

    /// <param name="attempt">The attempt that just failed, starting at 1.</param>
    /// <param name="rng">Injectable so tests can be deterministic; defaults to <see cref="Random.Shared"/>.</param>
    /// <param name="baseDelay">The ceiling of the first delay; <see cref="Base"/> when null.</param>
    /// <param name="cap">The largest ceiling; <see cref="Cap"/> when null.</param>
    public static TimeSpan Delay(int attempt, Random? rng = null, TimeSpan? baseDelay = null, TimeSpan? cap = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, MaxExponent);
        var ceilingTicks = Math.Min((cap ?? Cap).Ticks, (baseDelay ?? Base).Ticks << exponent);
#pragma warning disable CA5394 // Jitter needs spread, not unpredictability.
        var fraction = (rng ?? Random.Shared).NextDouble();
#pragma warning restore CA5394
        // At least 1 ms: a timer shorter than that is skipped by some schedulers, which then retry with no pause at all.
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (long)(ceilingTicks * fraction)));
    }
}
