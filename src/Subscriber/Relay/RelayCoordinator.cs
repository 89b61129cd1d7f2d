using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Relay;

/// <summary>Result of a finished relay, for the summary line.</summary>
internal sealed record RelayResult(long Bytes, long Segments, string Sha256, long CheckedByCopyChecksum, long CheckedByDownload, TimeSpan Elapsed);

/// <summary>
/// One relay: waits for the source broadcast, follows it as a subscriber does (<see cref="BroadcastTracker"/> fed by its
/// manifest and notifications), copies each stored segment server-side (<see cref="SegmentCopier"/>) and announces the
/// copy as a publisher does (<see cref="BroadcastAnnouncer"/>: manifest marked <c>relayed_from</c>, checksum index,
/// notifications on the destination's channel). A source that completes completes the copy once every segment was
/// copied and checked; a source that is aborted or stalls, or any failure here, marks the copy aborted.
/// </summary>
/// <param name="sourceServices">The host of the source side: its AWS connection, SNS client and store.</param>
/// <param name="destination">The destination's connection: another region or endpoint (--to-region, --to-endpoint-url), or the source's.</param>
internal sealed class RelayCoordinator(
    IServiceProvider sourceServices,
    AwsConnection destination,
    ISnsClient destinationSns,
    RelayOptions options,
    ILoggerFactory loggers,
    TimeProvider time)
{
    private readonly ILogger _logger = loggers.CreateLogger<RelayCoordinator>();
    private readonly BroadcastStore _destinationStore = new(destination.S3, options.Tries, options.RequestTimeout, loggers.CreateLogger<BroadcastStore>(), time);

    public async Task<RelayResult> RunAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        await CheckDestinationAsync(ct).ConfigureAwait(false);
        var sourceManifests = new ManifestStore(sourceServices.GetRequiredService<BroadcastStore>(), options.Source.Location);
        var manifest = await WaitForSourceAsync(sourceManifests, ct).ConfigureAwait(false);
        var relay = options with { SegmentSizeMiB = manifest.SegmentSizeMb, SegmentSizeBytes = manifest.SegmentSizeBytes };

        using var tracker = new BroadcastTracker(options.Source.Location, time, loggers.CreateLogger<BroadcastTracker>());
        tracker.ApplyManifest(manifest);
        var sources = new List<Func<CancellationToken, Task>>();
        var subscription = await SubscribeCommand.FollowNewsAsync(options.Source, manifest, sourceManifests, tracker, sources, sourceServices, ct).ConfigureAwait(false);
        try
        {
            sources.Add(new BroadcastWatcher(tracker, sourceManifests, options.Source, () => subscription?.Listening == true, time, loggers.CreateLogger<BroadcastWatcher>()).RunAsync);
            var sink = await NotificationSinks.OpenAsync(relay.Notify, relay.Destination.Bucket, relay.Topic, destination, destinationSns, relay.RequestTimeout, time, loggers, ct).ConfigureAwait(false);
            return await RelayAsync(relay, tracker, sink, sources, started, ct).ConfigureAwait(false);
        }
        finally
        {
            if (subscription is not null)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<RelayResult> RelayAsync(
        RelayOptions relay, BroadcastTracker tracker, INotificationSink sink, List<Func<CancellationToken, Task>> sources, long started, CancellationToken ct)
    {
        var retry = new StepRetry(relay.Tries, _logger, attemptTimeout: relay.RequestTimeout, time: time, slowDowns: SlowDownGovernor.Shared);
        var manifests = new ManifestStore(_destinationStore, relay.Destination, relay.Put);
        var copied = Channel.CreateBounded<SegmentInfo>(new BoundedChannelOptions(relay.Workers + 1) { SingleReader = true });
        // Each copy attempt has its own limit (RelayOptions.CopyTimeout), by the segment's size.
        var copyRetry = new StepRetry(relay.Tries, _logger, attemptTimeout: Timeout.InfiniteTimeSpan, time: time, slowDowns: SlowDownGovernor.Shared);
        var copier = new SegmentCopier(tracker, sourceServices.GetRequiredService<AwsConnection>().S3, destination.S3, copied.Writer, retry, copyRetry, relay, time, loggers.CreateLogger<SegmentCopier>());
        // Announced as a publisher announces: segment notices coalesced over the window, sent beside the copying.
        var outlet = new NotificationOutlet(sink, relay.NotifyWindow, time, loggers);
        await using var _ = outlet.ConfigureAwait(false);
        using var announcer = new BroadcastAnnouncer(copied.Reader, manifests, outlet.Input, retry, relay, time, loggers.CreateLogger<BroadcastAnnouncer>());
        await OpenAsync(announcer, relay, sink.Target, ct).ConfigureAwait(false);
        try
        {
            using var done = new CancellationTokenSource();
            await StageGroup.RunAsync(ct, [async t =>
            {
                await copier.RunAsync(t).ConfigureAwait(false);
                await done.CancelAsync().ConfigureAwait(false);
            }, announcer.RunAsync, .. sources.Select(stage => BroadcastReader.UntilDone(stage, done.Token))]).ConfigureAwait(false);
            var final = tracker.Final ?? throw new FatalException(ExitCodes.Internal, $"copied {tracker.Location} without knowing its end");
            var sha256 = final.Sha256 ?? throw new FatalException(ExitCodes.Integrity, $"{tracker.Location} completed without a stream SHA-256");
            await announcer.CompleteAsync(final.Bytes, sha256, ct).ConfigureAwait(false);
            return new RelayResult(final.Bytes, final.Segments, sha256, copier.CheckedByCopyChecksum, copier.CheckedByDownload, time.GetElapsedTime(started));
        }
        catch (Exception e)
        {
            await announcer.AbortAfterAsync(e, "the relay was interrupted", relay.RequestTimeout, ct).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The copy's first write, its open manifest: a refusal here (a bucket policy that requires encryption, or no
    /// s3:PutObject at all) ends the relay before any segment is copied, with one line naming the destination.
    /// </summary>
    private static async Task OpenAsync(BroadcastAnnouncer announcer, RelayOptions relay, string? topicArn, CancellationToken ct)
    {
        try
        {
            await announcer.OpenAsync(topicArn, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.Classify(e).Kind != FailureKind.Cancelled)
        {
            var failure = AwsErrors.ToFatal(e, "");
            var hint = failure.ExitCode == ExitCodes.Access && relay.Sse is null
                ? "; if the bucket's policy requires server-side encryption, give --sse (and --sse-kms-key-id)"
                : "";
            throw new FatalException(failure.ExitCode, $"cannot write the copy at {relay.Destination}: {failure.Message}{hint}", e);
        }
    }

    /// <summary>A relay writes only where no broadcast is, as a publisher without --force: exit 3 otherwise.</summary>
    private async Task CheckDestinationAsync(CancellationToken ct)
    {
        var existing = await _destinationStore.ListKeysAsync(options.Destination, withOthers: false, ct).ConfigureAwait(false);
        if (existing.Exists)
        {
            throw new FatalException(ExitCodes.NotFound,
                $"{options.Destination} already holds a broadcast (for example {(existing.Manifest ?? existing.Own[0]).Key}); choose another name, or remove it with rm");
        }
    }

    /// <summary>
    /// The source's manifest, awaited up to --wait (a relay may start before the publisher): its segment size becomes the
    /// copy's. An s3pipe2 archive has no CRC-64/NVME to check copies against and is refused.
    /// </summary>
    private async Task<Manifest> WaitForSourceAsync(ManifestStore manifests, CancellationToken ct)
    {
        var began = time.GetTimestamp();
        while (true)
        {
            if (await manifests.TryReadAsync(ct, awaitingStart: true).ConfigureAwait(false) is { } manifest)
            {
                if (manifest.IsLegacy || manifest.ChecksumAlgorithm != SegmentChecksum.Algorithm)
                {
                    throw new FatalException(ExitCodes.NotFound, $"{manifests.Location} records no CRC-64/NVME per segment (an s3pipe2 archive?); a relay checks every copy against it");
                }
                return manifest;
            }
            if (time.GetElapsedTime(began) > options.Source.Wait)
            {
                var within = $"within {options.Source.Wait.TotalSeconds:0.#} s (--wait)";
                throw manifests.Denial is { } denial
                    ? new FatalException(ExitCodes.Access, $"no readable broadcast at {manifests.Location} {within}: {denial.Message}", denial)
                    : new FatalException(ExitCodes.NotFound, $"no broadcast at {manifests.Location}: nothing appeared {within}");
            }
            await Task.Delay(options.Source.FastPollInterval, time, ct).ConfigureAwait(false);
        }
    }
}
