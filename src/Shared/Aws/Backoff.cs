namespace S3Fanout.Shared.Aws;

/// <summary>
/// Exponential backoff with jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the ceiling of attempt n
/// is min(cap, base * 2^(n-1)), and the delay is drawn under it so that clients that failed together do not retry together.
/// </summary>
internal static class Backoff
{
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    // 2^16 * 100 ms is far past the cap already; clamping keeps the shift from overflowing.
    private const int MaxExponent = 16;

    /// <summary>The capped exponential ceiling of the wait after <paramref name="attempt"/> (starting at 1).</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan? baseDelay = null, TimeSpan? cap = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, MaxExponent);
        return TimeSpan.FromTicks(Math.Min((cap ?? Cap).Ticks, (baseDelay ?? Base).Ticks << exponent));
    }

    /// <summary>Full jitter: uniform over [0, ceiling), at least 1 ms. The widest spread, for loops that poll.</summary>
    /// <param name="attempt">The attempt that just failed, starting at 1.</param>
    /// <param name="rng">Injectable so tests can be deterministic; defaults to <see cref="Random.Shared"/>.</param>
    public static TimeSpan Delay(int attempt, Random? rng = null, TimeSpan? baseDelay = null, TimeSpan? cap = null)
    {
        var ceiling = Ceiling(attempt, baseDelay, cap);
        // At least 1 ms: a timer shorter than that is skipped by some schedulers, which then retry with no pause at all.
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (long)(ceiling.Ticks * Draw(rng))));
    }

    /// <summary>
    /// Equal jitter: half the ceiling for sure, the other half drawn. Retries still spread out, and n attempts always span
    /// at least half the sum of their ceilings, so an outage shorter than that cannot use up a step's attempts by bad luck.
    /// </summary>
    public static TimeSpan EqualJitterDelay(int attempt, Random? rng = null, TimeSpan? baseDelay = null, TimeSpan? cap = null)
    {
        var half = Ceiling(attempt, baseDelay, cap).Ticks / 2;
        return TimeSpan.FromTicks(half + (long)(half * Draw(rng)));
    }

#pragma warning disable CA5394 // Jitter needs spread, not unpredictability.
    private static double Draw(Random? rng) => (rng ?? Random.Shared).NextDouble();
#pragma warning restore CA5394
}
