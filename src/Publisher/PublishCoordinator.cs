using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Publisher.Announcing;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Publisher.Uploading;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Publisher;

/// <summary>Result of a finished broadcast, for the caller's summary line.</summary>
internal sealed record PublishResult(long Bytes, long Segments, string Sha256, TimeSpan Elapsed);

/// <summary>
/// Checks the destination, opens the broadcast, runs segmenter → uploader → announcer joined by bounded channels,
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

    public async Task<PublishResult> RunAsync(Stream input, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var retry = new StepRetry(options.Tries, _logger, attemptTimeout: options.RequestTimeout, time: time);

        var manifests = new ManifestStore(s3, options.Location, options.Sse);
        using var slots = new SegmentSlots(options.Workers + 1);
        using var buffers = new SegmentBufferFactory(options.StagingPath, "publish");
        var sealedSegments = Channel.CreateBounded<SealedSegment>(new BoundedChannelOptions(1) { SingleWriter = true });
        var storedSegments = Channel.CreateBounded<SegmentInfo>(new BoundedChannelOptions(options.Workers + 1) { SingleReader = true });
        var segmenter = new StdinSegmenter(input, buffers, slots, options, sealedSegments.Writer, time, loggers.CreateLogger<StdinSegmenter>());
        // A segment PUT is bounded by the uploader's no-progress watchdog, not a fixed time: a large one may rightly take minutes.
        var uploadRetry = new StepRetry(options.Tries, _logger, attemptTimeout: Timeout.InfiniteTimeSpan, time: time);
        var uploader = new SegmentUploader(sealedSegments.Reader, storedSegments.Writer, s3, slots, uploadRetry, options, Progress, time, loggers.CreateLogger<SegmentUploader>());
        var announcer = new BroadcastAnnouncer(storedSegments.Reader, manifests, sink, retry, options, time, loggers.CreateLogger<BroadcastAnnouncer>());

        await announcer.OpenAsync(sink.Target, ct).ConfigureAwait(false);
        try
        {
            await StageGroup.RunAsync(ct, segmenter.RunAsync, uploader.RunAsync, announcer.RunAsync).ConfigureAwait(false);
            await announcer.CompleteAsync(segmenter.TotalBytes, segmenter.StreamSha256, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var reason = e switch
            {
                OperationCanceledException when ct.IsCancellationRequested => "the publisher was interrupted",
                FatalException f => f.Message,
                _ => AwsErrors.ToFatal(e, "publish").Message,
            };
            _logger.LogError("Aborting {Broadcast}: {Reason}", options.Location, reason);
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await announcer.AbortAsync(reason, cleanup.Token).ConfigureAwait(false);
            throw;
        }
        return new PublishResult(segmenter.TotalBytes, segmenter.SegmentCount, segmenter.StreamSha256, time.GetElapsedTime(started));
    }

    /// <summary>Called before anything is created. Refuses a prefix that already holds objects, as s3pipe2 does, unless --force (which deletes them first).</summary>
    public async Task CheckDestinationAsync(CancellationToken ct)
    {
        var location = options.Location;
        ListObjectsV2Response listing;
        try
        {
            // -t attempts like every other step: a 5xx, a reset or a garbled listing is retried, a missing bucket is not.
            listing = await new StepRetry(options.Tries, _logger, attemptTimeout: options.RequestTimeout).ExecuteAsync(async token => await s3.ListObjectsV2Async(
                new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix + "/", MaxKeys = 1000 }, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw AwsErrors.ToFatal(e, $"cannot use s3://{location.Bucket}");
        }
        var existing = listing.S3Objects ?? [];
        if (existing.Count == 0)
        {
            return;
        }
        if (!options.Force)
        {
            throw new FatalException(ExitCodes.NotFound, $"{location}/ already holds objects (for example {existing[0].Key}); choose another prefix, or give --force to replace that broadcast");
        }
        _logger.LogWarning("--force: deleting the existing objects under {Broadcast}/", location);
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix + "/", ContinuationToken = token }, ct).ConfigureAwait(false);
            foreach (var obj in page.S3Objects ?? [])
            {
                await s3.DeleteObjectAsync(location.Bucket, obj.Key, ct).ConfigureAwait(false);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }
}
