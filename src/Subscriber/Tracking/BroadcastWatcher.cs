using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;

namespace S3Fanout.Subscriber.Tracking;

/// <summary>
/// The slow, sure path beside notifications: reads the manifest whenever nothing was heard for a poll interval
/// (every second when there are no notifications at all), and turns silence into errors: no broadcast within
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
        var joiningPolls = 0;
        var joiningInterval = options.FastPollInterval;
        while (true)
        {
            await Task.Delay(Tick, time, ct).ConfigureAwait(false);
            var isJoining = joining?.Invoke() == true;
            var interval = isJoining ? joiningInterval
                : !tracker.Exists || !notificationsExpected() || tracker.IsLegacy || tracker.Notify == "none"
                ? options.FastPollInterval
                : options.PollInterval;
            if (time.GetElapsedTime(lastPoll) >= interval && tracker.SinceLastNews >= interval)
            {
                lastPoll = time.GetTimestamp();
                await PollAsync(ct).ConfigureAwait(false);
                if (isJoining)
                {
                    // Not subscribed yet (a fleet joining at SNS's 100 Subscribe/s): each poll waits longer, with equal
                    // jitter up to NotificationBudget.JoiningPollCap, so thousands of joining subscribers stay well under
                    // S3's ~5,500 GET/s on the one manifest key.
                    joiningInterval = Backoff.EqualJitterDelay(++joiningPolls, null, options.FastPollInterval, NotificationBudget.JoiningPollCap);
                }
            }
            if (tracker.AbortReason is { } reason)
            {
                throw new FatalException(ExitCodes.BroadcastFailed, $"the publisher aborted {tracker.Location}: {reason}");
            }
            if (!tracker.Exists && time.GetElapsedTime(started) > options.Wait)
            {
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

    private async Task PollAsync(CancellationToken ct)
    {
        try
        {
            // Before the broadcast is known to exist, a 403 on its manifest is taken for "not there yet" (see ManifestStore).
            if (await manifests.TryReadAsync(ct, awaitingStart: !tracker.Exists).ConfigureAwait(false) is { } manifest)
            {
                tracker.ApplyManifest(manifest);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && (e is not FatalException f || f.ExitCode != ExitCodes.Integrity))
        {
            // A failed poll is retried at the next interval; a lasting outage ends in the stall timeout.
            logger.LogWarning("Reading the manifest of {Broadcast} failed: {Error}", tracker.Location, AwsErrors.Describe(e));
        }
    }
}
