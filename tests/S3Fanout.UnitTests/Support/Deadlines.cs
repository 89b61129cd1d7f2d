namespace S3Fanout.UnitTests.Support;

/// <summary>Time limits for waiting on the code under test. No test sleeps; these only stop a hang from hanging the run.</summary>
internal static class Deadlines
{
    /// <summary>How long something that should happen may take on a busy, shared machine.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a wrong implementation gets to do something it must not do (read more, emit more).
    /// Only bounds the observation of a negative; a correct implementation never makes a test wait for it to pass.
    /// </summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    public static Task<T> Within<T>(this Task<T> task, string what) => Wrap(task.WaitAsync(Generous), what);

    public static Task Within(this Task task, string what) => Wrap(task.WaitAsync(Generous), what);

    /// <summary>True when <paramref name="task"/> completes within <see cref="Quiet"/>.</summary>
    public static async Task<bool> CompletesQuicklyAsync(this Task task) =>
        await Task.WhenAny(task, Task.Delay(Quiet)) == task;

    private static async Task<T> Wrap<T>(Task<T> task, string what)
    {
        try
        {
            return await task;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {Generous.TotalSeconds:0} s waiting for {what}.", e);
        }
    }

    private static async Task Wrap(Task task, string what)
    {
        try
        {
            await task;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {Generous.TotalSeconds:0} s waiting for {what}.", e);
        }
    }
}
