using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fetching;

/// <summary>
/// Decides what to fetch: every index up to the highest one known (so a segment whose notification was lost is
/// fetched as soon as a later one is known), never beyond the reorder window, and, once the end is known, exactly
/// the segments the publisher stored, followed by the end marker for the writer.
/// </summary>
internal sealed class FetchPlanner(BroadcastTracker tracker, ReorderWindow window, ChannelWriter<long> jobs, ILogger<FetchPlanner> logger)
{
    /// <summary>Plan exactly segments 1..this many and end, whatever the broadcast's state (verify reads what is stored).</summary>
    public long? StoredSegments { get; init; }

    private static readonly TimeSpan SafetyWake = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken ct)
    {
        var next = window.NextIndex;
        try
        {
            while (true)
            {
                if (StoredSegments is null && tracker.AbortReason is { } reason)
                {
                    throw new FatalException(ExitCodes.BroadcastFailed, $"the publisher aborted {tracker.Location}: {reason}");
                }
                var final = StoredSegments is { } stored ? new FinalInfo(stored, 0, null) : tracker.Final;
                var upper = final?.Segments ?? tracker.MaxKnownIndex;
                while (next <= upper && window.CanAccept(next))
                {
                    await jobs.WriteAsync(next++, ct).ConfigureAwait(false);
                }
                if (final is not null && next > final.Segments)
                {
                    if (window.NextIndex > final.Segments + 1)
                    {
                        throw new FatalException(ExitCodes.Integrity, $"the publisher says {tracker.Location} has {final.Segments} segments, but more were already written");
                    }
                    window.Put(Writing.FetchedSegment.EndBefore(final.Segments + 1));
                    logger.LogInformation("All {Segments} segments of {Broadcast} planned", final.Segments, tracker.Location);
                    break;
                }
                await tracker.Changed.WaitAsync(SafetyWake, ct).ConfigureAwait(false);
            }
            jobs.Complete();
        }
        catch (Exception e)
        {
            jobs.TryComplete(e);
            throw;
        }
    }
}
