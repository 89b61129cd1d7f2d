using System.Threading.Channels;
using Amazon.S3;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Announcing;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Publisher.Uploading;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Assembly;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Publisher;

/// <summary>Result of a finished broadcast, for the caller's summary line.</summary>
internal sealed record PublishResult(long Bytes, long Segments, string Sha256, TimeSpan Elapsed);

/// <summary>
/// Checks the destination, opens the broadcast, runs segmenter → stream hasher → uploader → announcer joined by bounded channels,
/// and then completes the broadcast — or marks it aborted on the first failure so subscribers stop too.
/// </summary>
internal sealed class PublishCoordinator(
    IAmazonS3 s3,
    INotificationSink sink,
    PublisherOptions options,
    ILoggerFactory loggers,
    TimeProvider time)
{
    /// <summary>Live counters for the progress display and metrics.</summary>
    public TransferProgress Progress { get; } = new("publish");

    private readonly ILogger _logger = loggers.CreateLogger<PublishCoordinator>();
    private readonly BroadcastStore _store = new(s3, options.Tries, options.RequestTimeout, loggers.CreateLogger<BroadcastStore>(), time);

    public async Task<PublishResult> RunAsync(Stream input, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var retry = new StepRetry(options.Tries, _logger, attemptTimeout: options.RequestTimeout, time: time, slowDowns: SlowDownGovernor.Shared);

        var manifests = new ManifestStore(_store, options.Location, options.Put);
        using var slots = new SegmentSlots(options.Workers + 1);
        using var buffers = new SegmentBufferFactory(options.StagingPath, "publish");
        var sealedSegments = Channel.CreateBounded<SealedSegment>(new BoundedChannelOptions(1) { SingleWriter = true, SingleReader = true });
        var hashedSegments = Channel.CreateBounded<SealedSegment>(new BoundedChannelOptions(1) { SingleWriter = true });
        var storedSegments = Channel.CreateBounded<SegmentInfo>(new BoundedChannelOptions(options.Workers + 1) { SingleReader = true });
        var segmenter = new StdinSegmenter(input, buffers, slots, options, sealedSegments.Writer, time, loggers.CreateLogger<StdinSegmenter>());
        // A segment PUT is bounded by the uploader's no-progress watchdog, not a fixed time: a large one may rightly take minutes.
        var uploadRetry = new StepRetry(options.Tries, _logger, attemptTimeout: Timeout.InfiniteTimeSpan, time: time, slowDowns: SlowDownGovernor.Shared);
        var hasher = new StreamHasher(sealedSegments.Reader, hashedSegments.Writer, segment =>
        {
            segment.Buffer.Dispose();
            slots.Release();
        });
        var uploader = new SegmentUploader(hashedSegments.Reader, storedSegments.Writer, s3, slots, uploadRetry, options, Progress, time, loggers.CreateLogger<SegmentUploader>());
        // Segment notices sealed within one --notify-window go out as one message, beside the pipeline, never in its way.
        var outlet = new NotificationOutlet(sink, options.NotifyWindow, time, loggers);
        await using var _ = outlet.ConfigureAwait(false);
        using var announcer = new BroadcastAnnouncer(storedSegments.Reader, manifests, outlet.Input, retry, options, time, loggers.CreateLogger<BroadcastAnnouncer>());
        await announcer.OpenAsync(sink.Target, ct).ConfigureAwait(false);
        await RunPipelineAsync(segmenter, hasher, uploader, announcer, ct).ConfigureAwait(false);
        if (options.AssembleTo is { } to)
        {
            await AssembleAsync(announcer, to, ct).ConfigureAwait(false);
        }
        return new PublishResult(segmenter.TotalBytes, segmenter.SegmentCount, hasher.StreamSha256, time.GetElapsedTime(started));
    }

    private async Task RunPipelineAsync(StdinSegmenter segmenter, StreamHasher hasher, SegmentUploader uploader, BroadcastAnnouncer announcer, CancellationToken ct)
    {
        try
        {
            await StageGroup.RunAsync(ct, segmenter.RunAsync, hasher.RunAsync, uploader.RunAsync, announcer.RunAsync).ConfigureAwait(false);
            await announcer.CompleteAsync(segmenter.TotalBytes, hasher.StreamSha256, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await announcer.AbortAfterAsync(e, "the publisher was interrupted", options.RequestTimeout, ct).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// --assemble, once the broadcast is complete: its subscribers are done with it whatever happens here, so a failure
    /// leaves the broadcast complete and is reported on its own (the assembler aborts its upload).
    /// </summary>
    private async Task AssembleAsync(BroadcastAnnouncer announcer, BroadcastLocation to, CancellationToken ct)
    {
        var retry = new StepRetry(options.Tries, _logger, attemptTimeout: Timeout.InfiniteTimeSpan, time: time);
        var target = new AssemblyTarget(to.Bucket, to.Prefix, options.Sse, options.Force, VerifyDownload: false, options.Workers);
        AssemblyResult result;
        try
        {
            result = await new AssemblyRun(s3, _store, retry, loggers, time).RunAsync(options.Location, target, TimeSpan.Zero, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failure = e as FatalException ?? AwsErrors.ToFatal(e, "assemble");
            throw new FatalException(failure.ExitCode, $"{options.Location} is complete, but assembling it into {target} failed: {failure.Message}", e);
        }
        await announcer.RecordAssemblyAsync(result.Destination, result.Sha256, ct).ConfigureAwait(false);
        _logger.LogInformation("Assembled {Broadcast} into {Target}: {Parts} parts, {Copied} copied by S3, verified by {VerifiedBy}",
            options.Location, result.Destination, result.Parts, result.CopiedParts, result.VerifiedBy);
    }

    /// <summary>
    /// Called before anything is created. Refuses a name where a broadcast already exists, as s3pipe2 refused a used
    /// prefix, unless --force, which first deletes exactly what <c>rm</c> deletes. Only the broadcast's own keys count
    /// (<see cref="BroadcastKeys.Exists"/>): nested broadcasts and other objects under NAME/ neither block a publish nor are deleted.
    /// </summary>
    public async Task CheckDestinationAsync(CancellationToken ct)
    {
        var location = options.Location;
        if (options.AssembleTo is { } to && !options.Force && await _store.ObjectExistsAsync(to.Bucket, to.Prefix, ct).ConfigureAwait(false))
        {
            throw new FatalException(ExitCodes.NotFound, $"--assemble {to} already exists; choose another key, or give --force to replace it");
        }
        var existing = await _store.ListKeysAsync(location, withOthers: false, ct).ConfigureAwait(false);
        if (!existing.Exists)
        {
            return;
        }
        if (!options.Force)
        {
            var began = existing.Manifest is null ? null : await UploadBeganAsync(location, ct).ConfigureAwait(false);
            throw new FatalException(ExitCodes.NotFound,
                $"{location} already holds a broadcast ({(began is { } at ? "its upload_began " + at.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "for example " + (existing.Manifest ?? existing.Own[0]).Key)}); choose another name, or give --force to replace that broadcast");
        }
        _logger.LogWarning("--force: deleting the {Count} objects of the existing broadcast {Broadcast}", existing.Own.Count, location);
        await _store.DeleteAsync(existing, ct).ConfigureAwait(false);
    }

    /// <summary>When the broadcast at <paramref name="location"/> began, for the refusal's line; null if its manifest cannot say.</summary>
    private async Task<DateTimeOffset?> UploadBeganAsync(BroadcastLocation location, CancellationToken ct)
    {
        try
        {
            return (await _store.TryReadManifestAsync(location, ct).ConfigureAwait(false))?.UploadBegan;
        }
        catch (FatalException)
        {
            return null; // unreadable or malformed: the refusal names the key instead
        }
    }
}
