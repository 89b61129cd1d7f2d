using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fetching;

/// <summary>
/// Fetches planned segments with <see cref="SubscriberOptions.Workers"/> GETs in flight and verifies each
/// (<see cref="SegmentVerification"/>) before it enters the reorder window. A segment that stays bad after -t attempts
/// ends the read, or, under <see cref="FailurePolicy.RecordAndContinue"/>, enters the window as a named problem.
/// </summary>
/// <remarks>
/// The workers run as a <see cref="StageGroup"/>: the first one to fail cancels its siblings, which may be parked on the
/// job channel (the planner waits for the window) and would otherwise keep the fetcher, and so the process, alive.
/// </remarks>
internal sealed class SegmentFetcher(
    ChannelReader<long> jobs,
    ReorderWindow window,
    BroadcastTracker tracker,
    IAmazonS3 s3,
    SegmentBufferFactory buffers,
    StepRetry retry,
    SubscriberOptions options,
    FailurePolicy policy,
    TimeProvider time,
    ILogger<SegmentFetcher> logger)
{
    /// <summary>The reason recorded for a segment whose object does not exist (verify tells such replicas apart by it).</summary>
    public const string MissingReason = "missing: no such object";

    private static readonly TimeSpan MaxNotFoundDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reads the manifest once if none was applied yet, so that the replica count is known before the first fetch (the
    /// publisher writes the manifest before it announces anything). Null: nothing to do.
    /// </summary>
    public Func<CancellationToken, Task>? KnowManifestAsync { get; init; }

    /// <summary>When true, a segment that is not stored is reported missing at once instead of awaited (verify).</summary>
    public bool StoredOnly { get; init; }

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Fetcher started with {Workers} workers", options.Workers);
        await StageGroup.RunAsync(ct, [.. Enumerable.Repeat<Func<CancellationToken, Task>>(WorkAsync, options.Workers)]).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var index in jobs.ReadAllAsync(ct).ConfigureAwait(false))
        {
            window.Put(await FetchOrRecordAsync(index, ct).ConfigureAwait(false));
        }
    }

    private async Task<FetchedSegment> FetchOrRecordAsync(long index, CancellationToken ct)
    {
        try
        {
            return await FetchAsync(index, ct).ConfigureAwait(false);
        }
        catch (FatalException e) when (e.Data[ProblemKey] is SegmentProblem problem)
        {
            logger.LogInformation("Segment {SegmentIndex} is bad: {Reason}", index, problem.Reason);
            if (policy == FailurePolicy.AbortOnFirstBadSegment)
            {
                // The read ends at this segment's turn, not now: the sink first gets every segment before it that can be
                // had, as a reader of a damaged file gets the bytes before the damage.
                return FetchedSegment.Failure(problem, e);
            }
            return e.ExitCode == ExitCodes.Integrity ? FetchedSegment.Bad(problem) : FetchedSegment.Unfetched(problem);
        }
    }

    private const string ProblemKey = "segment-problem";

    private async Task<FetchedSegment> FetchAsync(long index, CancellationToken ct)
    {
        var key = KeyLayout.SegmentKey(tracker.Location.Prefix, index);
        var url = $"s3://{tracker.Location.Bucket}/{key}";
        var missingAfterEnd = 0;
        for (var wait = 1; ; wait++)
        {
            // Before each look, not once: an index that arrives while a segment is awaited applies to it. A failure to
            // read the index is no fault of this segment, so it ends the read as it is.
            await tracker.LoadChecksumsThroughAsync(index, ct).ConfigureAwait(false);
            try
            {
                return await retry.ExecuteAsync(token => FetchPreferringReplicaAsync(index, key, token), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (AwsErrors.ClassifyRead(e) is { Kind: FailureKind.NotFound or FailureKind.MissingOrDenied } absence)
            {
                // Not stored yet: a later segment was announced first, or the notification raced the upload. This is
                // waiting, not retrying a failure: the watcher's stall timeout bounds it while the broadcast is open.
                // A 403 is the same answer to a principal without s3:ListBucket, until the publisher said the segment is
                // stored: from then on it is a denial (exit 4), after as many looks as a 404 after the end gets.
                var denied = absence.Kind == FailureKind.MissingOrDenied;
                if (denied && (StoredOnly || (tracker.IsStored(index) && ++missingAfterEnd >= retry.Tries)))
                {
                    throw new FatalException(ExitCodes.Access, $"segment {index} ({url}): {absence.Line}", e);
                }
                if (!denied && (StoredOnly || (tracker.Final is { } final && index <= final.Segments && ++missingAfterEnd >= retry.Tries)))
                {
                    throw Problem(new FatalException(ExitCodes.Integrity, StoredOnly
                        ? $"segment {index} ({url}) is {MissingReason}"
                        : $"segment {index} ({url}) is missing although the broadcast lists {tracker.Final!.Segments} segments"), index, key, MissingReason);
                }
                logger.LogDebug("Segment {SegmentIndex} is not stored yet; looking again", index);
                await Task.Delay(NotFoundDelay(wait), time, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (AwsErrors.Classify(e) is { Kind: not FailureKind.Cancelled } failure)
            {
                if (failure.ExitCode is ExitCodes.Integrity or ExitCodes.Transfer || failure.Kind == FailureKind.TimedOut)
                {
                    var reason = e is SegmentCorruptException corrupt
                        ? corrupt.Detail
                        : failure.ExitCode == ExitCodes.Integrity ? failure.Line : $"could not be fetched in {retry.Tries} attempts: {failure.Line}";
                    throw Problem(new FatalException(failure.ExitCode, $"segment {index} ({url}) failed after {retry.Tries} attempts: {failure.Line}", e), index, key, reason);
                }
                // Access denied, no bucket, endpoint gone: every other segment would fail the same way.
                throw new FatalException(failure.ExitCode, $"segment {index} ({url}): {failure.Line}", e);
            }
        }
    }

    private static FatalException Problem(FatalException e, long index, string key, string reason)
    {
        e.Data[ProblemKey] = new SegmentProblem(index, key, reason);
        return e;
    }

    private static TimeSpan NotFoundDelay(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxNotFoundDelay.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(attempt, 10))));

    /// <summary>
    /// One attempt: from the read replica this subscriber's identity picks (<see cref="ReplicaChoice"/>), when the broadcast
    /// has replicas, else from the primary. A replica that is missing (404, or 403 without s3:ListBucket: deleted, expired
    /// by a lifecycle rule) or damaged is no failure of the segment: the same attempt reads the primary instead.
    /// </summary>
    private async ValueTask<FetchedSegment> FetchPreferringReplicaAsync(long index, string primary, CancellationToken ct)
    {
        if (!tracker.ManifestSeen && KnowManifestAsync is { } know)
        {
            await know(ct).ConfigureAwait(false);
        }
        var replica = ReplicaChoice.For(options.Identity, tracker.Replicas);
        if (replica > 0)
        {
            try
            {
                return await FetchOnceAsync(index, KeyLayout.SegmentKey(tracker.Location.Prefix, index, replica), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SegmentCorruptException || AwsErrors.ClassifyRead(e).Kind is FailureKind.NotFound or FailureKind.MissingOrDenied)
            {
                logger.LogInformation("Replica {Replica} of segment {SegmentIndex} cannot be read ({Reason}); reading the primary",
                    replica, index, e is SegmentCorruptException corrupt ? corrupt.Detail : AwsErrors.ClassifyRead(e).Line);
            }
        }
        return await FetchOnceAsync(index, primary, ct).ConfigureAwait(false);
    }

    /// <summary>One attempt, bounded by a <see cref="ProgressWatchdog"/>: it ends when no byte arrived for the idle timeout.</summary>
    private async ValueTask<FetchedSegment> FetchOnceAsync(long index, string key, CancellationToken ct) =>
        await ProgressWatchdog.RunAsync(options.TransferIdleTimeout, time, $"GET of segment {index}", async watchdog =>
        {
            var response = await GetAsync(index, key, watchdog.Token).ConfigureAwait(false);
            try
            {
                return await ReadAndVerifyAsync(index, response, watchdog).ConfigureAwait(false);
            }
            finally
            {
                DisposeQuietly(response);
            }
        }, ct).ConfigureAwait(false);

    /// <summary>
    /// The SDK finishes its ETag (MD5) check of the body when the response is disposed, and throws if it differs. Thrown
    /// here it would replace the failure being reported (our CRC mismatch), or flag a body our own checks already
    /// accepted: the verdict is ours either way.
    /// </summary>
    private static void DisposeQuietly(GetObjectResponse response)
    {
        try
        {
            response.Dispose();
        }
        catch (Amazon.Runtime.AmazonClientException)
        {
        }
    }

    /// <summary>
    /// GETs the whole segment as a byte range. For a whole-object GET the SDK hashes the body with MD5 to compare with
    /// the ETag: a second pass over every byte, which our own CRC-64 (or, for s3pipe2 archives, our own MD5) already
    /// makes, and the largest cost of a download here. An empty object has no byte range, so it is fetched plainly.
    /// </summary>
    private async Task<GetObjectResponse> GetAsync(long index, string key, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = tracker.Location.Bucket, Key = key };
        var expected = tracker.TryGetInfo(index);
        if (expected is null)
        {
            request.ByteRange = new ByteRange("bytes=0-");
        }
        else if (expected.Size > 0)
        {
            request.ByteRange = new ByteRange(0, expected.Size - 1);
        }
        try
        {
            return await s3.GetObjectAsync(request, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (request.ByteRange is not null && (e.ErrorCode == "InvalidRange" || (int)e.StatusCode == 416))
        {
            request.ByteRange = null;
            return await s3.GetObjectAsync(request, ct).ConfigureAwait(false);
        }
    }

    private async Task<FetchedSegment> ReadAndVerifyAsync(long index, GetObjectResponse response, ProgressWatchdog watchdog)
    {
        var expected = tracker.TryGetInfo(index);
        var length = response.ContentLength;
        try
        {
            SegmentVerification.CheckSize(index, length, ObjectSize(response.ContentRange), expected);
        }
        catch (SegmentCorruptException)
        {
            S3FanoutMetrics.ChecksumFailures.Add(1);
            throw;
        }
        var buffer = buffers.Create(index);
        try
        {
            var crc = new SegmentChecksum();
            using var md5 = tracker.IsLegacy ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            long read;
            try
            {
                read = await buffer.AppendFromAsync(response.ResponseStream, length, chunk =>
                {
                    watchdog.Progress();
                    crc.Append(chunk);
                    md5?.AppendData(chunk);
                }, watchdog.Token).ConfigureAwait(false);
            }
            catch (Amazon.Runtime.AmazonClientException e) when (!watchdog.Stalled)
            {
                // The SDK checks a single-part object's body against its ETag (MD5) as the last byte is read, before our
                // own CRC: a damaged body, so a verification failure (retried, then exit 7), not a transfer error.
                throw new SegmentCorruptException(index, $"the body does not match the object's ETag (MD5): {AwsErrors.Describe(e)}");
            }
            var info = SegmentVerification.CheckBody(index, length, read, crc.Finish(), expected, FromMetadata(index, length, response),
                tracker.IsLegacy, md5 is null ? null : Convert.ToHexStringLower(md5.GetHashAndReset()),
                EtagDigest.IsMd5(response.ServerSideEncryptionMethod, response.ServerSideEncryptionCustomerMethod) ? response.ETag : null);
            logger.LogDebug("Fetched and verified segment {SegmentIndex} ({Size} bytes)", index, length);
            if (tracker.TryGetAnnouncedAt(index) is { } announced)
            {
                S3FanoutMetrics.NotificationToDownload.Record((time.GetUtcNow() - announced).TotalSeconds);
            }
            return new FetchedSegment(index, buffer, info);
        }
        catch (Exception e)
        {
            buffer.Dispose();
            if (e is SegmentCorruptException)
            {
                S3FanoutMetrics.ChecksumFailures.Add(1);
            }
            throw;
        }
    }

    /// <summary>The object size from a <c>Content-Range: bytes A-B/TOTAL</c> header, if there is one.</summary>
    private static long? ObjectSize(string? contentRange)
    {
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash > 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : null;
    }

    private static SegmentInfo? FromMetadata(long index, long length, GetObjectResponse response)
    {
        var checksum = response.Metadata["x-amz-meta-" + MetadataNames.Checksum];
        var offsetText = response.Metadata["x-amz-meta-" + MetadataNames.Offset];
        return SegmentChecksum.IsWellFormed(checksum) && long.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? new SegmentInfo(index, offset, length, checksum)
            : null;
    }
}
