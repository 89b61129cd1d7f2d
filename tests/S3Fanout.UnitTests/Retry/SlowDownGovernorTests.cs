using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Logging.Abstractions;
using S3Fanout.Shared.Aws;
using S3Fanout.UnitTests.Support;
using Xunit;

namespace S3Fanout.UnitTests.Retry;

public sealed class SlowDownGovernorTests
{
    private static AmazonS3Exception SlowDown() =>
        new("Please reduce your request rate.", ErrorType.Receiver, "SlowDown", "request-id", HttpStatusCode.ServiceUnavailable);

    private static AmazonS3Exception Internal() =>
        new("We encountered an internal error.", ErrorType.Receiver, "InternalError", "request-id", HttpStatusCode.InternalServerError);

    [Fact]
    public async Task With_one_try_a_step_answered_SlowDown_five_times_still_succeeds()
    {
        var governor = new SlowDownGovernor();
        var retry = new StepRetry(1, NullLogger.Instance, slowDowns: governor);
        var attempts = 0;

        var result = await retry.ExecuteAsync(_ => ++attempts <= 5 ? throw SlowDown() : ValueTask.FromResult(attempts), CancellationToken.None)
            .AsTask().Within("the slowed-down step");

        Assert.Equal(6, result);
        Assert.Equal(5, governor.SlowDowns);
    }

    [Fact]
    public async Task SlowDown_answers_between_failures_do_not_use_up_the_tries()
    {
        var retry = new StepRetry(2, NullLogger.Instance, baseDelay: TimeSpan.FromMilliseconds(1), maxDelay: TimeSpan.FromMilliseconds(5), slowDowns: new SlowDownGovernor());
        var attempts = 0;
        // failure, SlowDown x3, failure: the second failure is the second of -t 2, so the step fails on it, at attempt 5.
        var thrown = await Record.ExceptionAsync(() => retry.ExecuteAsync<int>(_ => throw (++attempts is 1 or 5 ? Internal() : SlowDown()), CancellationToken.None)
            .AsTask().Within("the step"));

        Assert.Equal(5, attempts);
        Assert.Equal("InternalError", Assert.IsType<AmazonS3Exception>(thrown).ErrorCode);
    }

    [Fact]
    public async Task Without_a_governor_or_past_its_limit_a_SlowDown_counts_as_a_failure()
    {
        var attempts = 0;
        var plain = new StepRetry(1, NullLogger.Instance);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => plain.ExecuteAsync<int>(_ => { attempts++; throw SlowDown(); }, CancellationToken.None).AsTask().Within("plain"));
        Assert.Equal(1, attempts);

        attempts = 0;
        var limited = new StepRetry(1, NullLogger.Instance, slowDowns: new SlowDownGovernor(), slowDownLimit: TimeSpan.Zero);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => limited.ExecuteAsync<int>(_ => { attempts++; Thread.Sleep(5); throw SlowDown(); }, CancellationToken.None).AsTask().Within("limited"));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public void The_delay_widens_on_SlowDown_up_to_the_ceiling_and_narrows_to_none_on_success()
    {
        var governor = new SlowDownGovernor();
        var began = DateTimeOffset.UtcNow;
        var waits = Enumerable.Range(0, 12).Select(_ => governor.SlowedDown(began, TimeSpan.FromMinutes(1))!.Value).ToList();

        Assert.Equal(SlowDownGovernor.Ceiling, governor.CurrentDelay);
        Assert.All(waits, w => Assert.InRange(w, SlowDownGovernor.Floor / 2, SlowDownGovernor.Ceiling));
        Assert.True(waits[^1] >= SlowDownGovernor.Ceiling / 2, "the last waits are drawn under the ceiling, at least half of it");
        for (var i = 0; i < 40; i++)
        {
            governor.Succeeded();
        }
        Assert.Equal(TimeSpan.Zero, governor.CurrentDelay);
    }
}
