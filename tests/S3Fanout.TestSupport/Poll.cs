using System.Diagnostics;

namespace S3Fanout.TestSupport;

/// <summary>Wait for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Poll
{
    private static readonly TimeSpan s_firstInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Calls <paramref name="condition"/> until it returns true; throws <see cref="TimeoutException"/> naming
    /// <paramref name="what"/> when <paramref name="deadline"/> passes first. Exceptions thrown by the condition
    /// count as "not yet" and the last one is reported in the timeout message.
    /// </summary>
    public static async Task UntilAsync(
        Func<Task<bool>> condition, TimeSpan deadline, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        await ForValueAsync<object>(
            async () => await condition().ConfigureAwait(false) ? true : null,
            deadline, what, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Synchronous-condition overload of <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, string, CancellationToken)"/>.</summary>
    public static Task UntilAsync(
        Func<bool> condition, TimeSpan deadline, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), deadline, what, cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="probe"/> until it returns non-null and returns that value; throws
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> when <paramref name="deadline"/> passes first.
    /// </summary>
    public static async Task<T> ForValueAsync<T>(
        Func<Task<T?>> probe, TimeSpan deadline, string what, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(probe);
        var clock = Stopwatch.StartNew();
        var interval = s_firstInterval;
        Exception? lastError = null;
        var attempts = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            attempts++;
            try
            {
                var value = await probe().ConfigureAwait(false);
                if (value is not null)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lastError = ex;
            }

            var left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                var message = $"Timed out after {deadline.TotalSeconds:0.###} s ({attempts} attempts) waiting for {what}.";
                if (lastError is not null)
                {
                    message += $" Last error: {lastError.GetType().Name}: {lastError.Message}";
                }
                throw new TimeoutException(message, lastError);
            }
            await Task.Delay(interval < left ? interval : left, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, s_maxInterval.Ticks));
        }
    }
}
