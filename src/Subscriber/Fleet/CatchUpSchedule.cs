namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// When catch-up runs again after the queue was subscribed: once the queue policy has surely applied
/// (<see cref="FleetOptions.CatchUpFirstRerun"/>), once the filter policy has (<see cref="FleetOptions.CatchUpSecondRerun"/>),
/// then every <see cref="FleetOptions.CatchUpInterval"/>.
/// </summary>
/// <remarks>
/// Until then SNS may refuse or filter out deliveries to the new queue, and it does not retry them: a queue's policy
/// takes up to 60 seconds to apply ("When you change a queue's attributes, the change can take up to 60 seconds",
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html), and a filter
/// policy up to 15 minutes ("Additions or changes to a subscription filter policy require up to 15 minutes to fully
/// take effect", https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html). A broadcast that
/// begins and ends inside those windows is found only by listing the channel again.
/// </remarks>
internal sealed class CatchUpSchedule(FleetOptions options, TimeProvider time)
{
    /// <summary>The wait before re-run <paramref name="rerun"/> (1 for the first), counted from the one before it.</summary>
    public TimeSpan DelayBefore(int rerun)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rerun, 1);
        return rerun switch
        {
            1 => options.CatchUpFirstRerun,
            2 => options.CatchUpSecondRerun - options.CatchUpFirstRerun,
            _ => options.CatchUpInterval,
        };
    }

    /// <summary>Waits until re-run <paramref name="rerun"/> is due.</summary>
    public Task WaitAsync(int rerun, CancellationToken ct) => Task.Delay(DelayBefore(rerun), time, ct);
}
