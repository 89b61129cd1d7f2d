using S3Fanout.Shared.Pipeline;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Pipeline;

public sealed class StageGroupTests
{
    /// <summary>A stage that runs until it is cancelled, then reports it through <paramref name="cancelled"/>.</summary>
    private static Func<CancellationToken, Task> UntilCancelled(TaskCompletionSource cancelled) => async ct =>
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        finally
        {
            cancelled.TrySetResult();
        }
    };

    [Fact]
    public async Task WhenOneStageFails_TheOthersAreCancelledAndItsExceptionIsRethrown()
    {
        var firstCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = StageGroup.RunAsync(
            CancellationToken.None,
            UntilCancelled(firstCancelled),
            _ => throw new InvalidDataException("segment 11 failed verification"),
            UntilCancelled(secondCancelled));

        // Not an OperationCanceledException: the cancellations are the failure's consequence, not its cause.
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => run.Within("the group to end"));
        Assert.Equal("segment 11 failed verification", e.Message);
        Assert.True(firstCancelled.Task.IsCompleted && secondCancelled.Task.IsCompleted, "a sibling stage was never cancelled");
    }

    [Fact]
    public async Task WhenAStageFailsAfterAnotherHasFailed_TheFirstFailureIsRethrown()
    {
        var run = StageGroup.RunAsync(
            CancellationToken.None,
            async _ =>
            {
                await Task.Yield();
                throw new InvalidDataException("first");
            },
            async ct =>
            {
                // Fails too, but only as a consequence of being cancelled.
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    throw new IOException("second, while shutting down");
                }
            });

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => run.Within("the group to end"));
        Assert.Equal("first", e.Message);
    }

    [Fact]
    public async Task WhenAStageIsSlowToStop_TheGroupWaitsForItBeforeRethrowing()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mayStop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = false;

        var run = StageGroup.RunAsync(
            CancellationToken.None,
            async ct =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    // Cleanup that takes a while, like a fetcher returning its buffer.
                    stopping.TrySetResult();
                    await mayStop.Task;
                    stopped = true;
                }
            },
            _ => throw new InvalidDataException("boom"));

        await stopping.Task.Within("the slow stage to be cancelled");
        Assert.False(await run.CompletesQuicklyAsync(), "the group ended while a stage was still stopping");
        mayStop.SetResult();
        await Assert.ThrowsAsync<InvalidDataException>(() => run.Within("the group to end"));
        Assert.True(stopped);
    }

    [Fact]
    public async Task WhenCancelledFromOutside_TheGroupThrowsOperationCanceledEvenIfStagesReturnQuietly()
    {
        using var outside = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var quietStageStopped = false;

        var run = StageGroup.RunAsync(
            outside.Token,
            async ct =>
            {
                // A stage that treats cancellation as a normal end and returns without throwing.
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                quietStageStopped = true;
            },
            ct => Task.Delay(Timeout.Infinite, ct));

        await started.Task.Within("the stages to start");
        await outside.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Within("the group to end"));
        Assert.True(quietStageStopped);
    }

    [Fact]
    public async Task WhenAStageThrowsOperationCanceledOfItsOwn_ItCountsAsTheFailure()
    {
        // For example a request timeout: a TaskCanceledException nobody asked for must not pass for a clean stop.
        var run = StageGroup.RunAsync(
            CancellationToken.None,
            _ => throw new TaskCanceledException("the request timed out"),
            ct => Task.Delay(Timeout.Infinite, ct));

        var e = await Assert.ThrowsAsync<TaskCanceledException>(() => run.Within("the group to end"));
        Assert.Equal("the request timed out", e.Message);
    }

    [Fact]
    public async Task WhenEveryStageSucceeds_TheGroupReturns()
    {
        var ran = 0;
        await StageGroup.RunAsync(
            CancellationToken.None,
            _ => Task.FromResult(Interlocked.Increment(ref ran)),
            async _ =>
            {
                await Task.Yield();
                Interlocked.Increment(ref ran);
            }).Within("the group to end");
        Assert.Equal(2, ran);
    }
}
