using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;

namespace S3Fanout.Subscriber.Tracking;

/// <summary>
/// The slow, sure path beside notifications: reads the manifest whenever nothing was heard for a poll interval
/// (every second when there are no notifications at all; with a growing interval while the broadcast has not begun or
/// the subscription is still joining, see <see cref="NextBackoff"/>), and turns silence into errors: no broadcast within
/// <see cref="SubscriberOptions.Wait"/>, or no heartbeat and no progress for <see cref="SubscriberOptions.StallTimeout"/>.
/// </summary>
internal sealed class BroadcastWatcher(
    BroadcastTracker tracker,
    ManifestStore manifests,
    SubscriberOptions options,
    Func<bool> notificationsExpected,
    TimeProvider time,
    ILogger<BroadcastWatcher> logger,
    Func<bool>? joining = null)
{
    /// <summary>How often the clocks are checked; internal so tests can step a fake clock by exactly one tick.</summary>
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var lastPoll = time.GetTimestamp();
        // Reads that found the broadcast not begun yet, or made while the subscription was still joining: each waits
        // longer than the last (see NextBackoff), so a subscriber waiting for hours costs a few requests a minute.
        var backedOffPolls = 0;
        var backoff = options.FastPollInterval;
        var lastLookTaken = false;
        while (true)
        {
            await Task.Delay(Tick, time, ct).ConfigureAwait(false);
            var isJoining = joining?.Invoke() == true;
            var backingOff = isJoining || !tracker.Exists;
            var interval = backingOff ? backoff
                : !notificationsExpected() || tracker.IsLegacy || tracker.Notify == "none"
                ? options.FastPollInterval
                : options.PollInterval;
            if (time.GetElapsedTime(lastPoll) >= interval && tracker.SinceLastNews >= interval)
            {
                lastPoll = time.GetTimestamp();
                // A failed read is retried after the same wait: only an answer ("not there yet") moves the backoff on.
                if (await PollAsync(ct).ConfigureAwait(false) && backingOff)
                {
                    backoff = NextBackoff(++backedOffPolls, isJoining);
                }
            }
            if (tracker.AbortReason is { } reason)
            {
                throw new FatalException(ExitCodes.BroadcastFailed, $"the publisher aborted {tracker.Location}: {reason}");
            }
            if (!tracker.Exists && time.GetElapsedTime(started) > options.Wait)
            {
                if (!lastLookTaken)
                {
                    // The reads back off while waiting, so the last one may be seconds old: look once more before giving up.
                    lastLookTaken = true;
                    await PollAsync(ct).ConfigureAwait(false);
                    continue;
                }
                var within = $"within {options.Wait.TotalSeconds:0.#} s (--wait)";
                throw manifests.Denial is { } denial
                    ? new FatalException(ExitCodes.Access, $"no readable broadcast at {tracker.Location} {within}: {denial.Message}", denial)
                    : new FatalException(ExitCodes.NotFound, $"no broadcast at {tracker.Location}: nothing appeared {within}");
            }
            if (tracker.Exists && tracker.Final is null && tracker.SinceLastNews > options.StallTimeout)
            {
                throw new FatalException(ExitCodes.BroadcastFailed,
                    $"the publisher of {tracker.Location} stopped: no heartbeat and no new data for {options.StallTimeout.TotalSeconds:0.#} s (--stall-timeout)");
            }
        }
    }

    /// <summary>
    /// The wait after the <paramref name="polls"/>-th backed-off read: from <see cref="SubscriberOptions.FastPollInterval"/>
    /// (1 s) doubling, with equal jitter (half the ceiling for sure, the other half drawn), up to a cap that depends on what
    /// else would tell of the broadcast. Joining (not subscribed yet): <see cref="NotificationBudget.JoiningPollCap"/>, so
    /// thousands of joining subscribers stay well under S3's ~5,500 GET/s on the one manifest key. Waiting for a broadcast
    /// not begun yet with the queue listening: <see cref="NotificationBudget.WaitingPollCap"/> (one long poll), since the
    /// publisher's first notification ends the wait at once. Waiting with no notifications:
    /// <see cref="NotificationBudget.WaitingPollCapWithoutNotifications"/>.
    /// </summary>
    private TimeSpan NextBackoff(int polls, bool isJoining)
    {
        var cap = isJoining ? NotificationBudget.JoiningPollCap
            : notificationsExpected() ? NotificationBudget.WaitingPollCap
            : NotificationBudget.WaitingPollCapWithoutNotifications;
        return Backoff.EqualJitterDelay(polls + 1, null, options.FastPollInterval, cap);
    }

    /// <summary>Reads the manifest; false when the read failed (logged).</summary>
    private async Task<bool> PollAsync(CancellationToken ct)
    {
        try
        {
            // Before the broadcast is known to exist, a 403 on its manifest is taken for "not there yet" (see ManifestStore).
            if (await manifests.TryReadAsync(ct, awaitingStart: !tracker.Exists).ConfigureAwait(false) is { } manifest)
            {
                tracker.ApplyManifest(manifest);
            }
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException && (e is not FatalException f || f.ExitCode != ExitCodes.Integrity))
        {
            // A failed poll is retried at the next interval; a lasting outage ends in the stall timeout.
            logger.LogWarning("Reading the manifest of {Broadcast} failed: {Error}", tracker.Location, AwsErrors.Describe(e));
            return false;
        }
    }
}
