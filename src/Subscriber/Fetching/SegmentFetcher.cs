using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fetching;

/// <summary>
/// Fetches planned segments with <see cref="SubscriberOptions.Workers"/> GETs in flight and verifies each before it
/// enters the reorder window: size and CRC64/NVME against the publisher's record (notification or checksum index),
/// else the object's own metadata; s3pipe2 archives, which have neither, are checked against the ETag's MD5.
/// </summary>
internal sealed class SegmentFetcher(
    ChannelReader<long> jobs,
    ReorderWindow window,
    BroadcastTracker tracker,
    IAmazonS3 s3,
    SegmentBufferFactory buffers,
    StepRetry retry,
    SubscriberOptions options,
    TimeProvider time,
    ILogger<SegmentFetcher> logger)
{
    private const long MaxSegmentBytes = 5L * 1024 * 1024 * 1024;
    private static readonly TimeSpan MaxNotFoundDelay = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Fetcher started with {Workers} workers", options.Workers);
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() => WorkAsync(ct), ct))).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var index in jobs.ReadAllAsync(ct).ConfigureAwait(false))
        {
            window.Put(await FetchAsync(index, ct).ConfigureAwait(false));
        }
    }

    private async Task<FetchedSegment> FetchAsync(long index, CancellationToken ct)
    {
        var key = KeyLayout.SegmentKey(tracker.Location.Prefix, index);
        var missingAfterEnd = 0;
        for (var wait = 1; ; wait++)
        {
            try
            {
                return await retry.ExecuteAsync(async token => await FetchOnceAsync(index, key, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            catch (Amazon.Runtime.AmazonServiceException e) when (AwsErrors.IsNotFound(e) && e.ErrorCode != "NoSuchBucket")
            {
                // Not stored yet: a later segment was announced first, or the notification raced the upload.
                // The watcher's stall timeout bounds this wait while the broadcast is open.
                if (tracker.Final is { } final && index <= final.Segments && ++missingAfterEnd >= retry.Tries)
                {
                    throw new FatalException(ExitCodes.Integrity, $"segment {index} (s3://{tracker.Location.Bucket}/{key}) is missing although the broadcast lists {final.Segments} segments");
                }
                logger.LogDebug("Segment {SegmentIndex} is not stored yet; looking again", index);
                await Task.Delay(Backoff(wait), time, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var fatal = AwsErrors.ToFatal(e, $"segment {index}");
                throw new FatalException(fatal.ExitCode,
                    $"segment {index} (s3://{tracker.Location.Bucket}/{key}) failed after {retry.Tries} attempts: {AwsErrors.Describe(e)}", e);
            }
        }
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxNotFoundDelay.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(attempt, 10))));

    private async ValueTask<FetchedSegment> FetchOnceAsync(long index, string key, CancellationToken ct)
    {
        var response = await GetAsync(index, key, ct).ConfigureAwait(false);
        try
        {
            return await ReadAndVerifyAsync(index, response, ct).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                response.Dispose();
            }
            catch (Amazon.Runtime.AmazonClientException)
            {
                // The SDK finishes its ETag (MD5) check of the body when the response is disposed, and throws if it
                // differs. Thrown here it would replace the failure being reported (our CRC mismatch), or flag a body
                // our own checks already accepted: the verdict is ours either way.
            }
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

    private async Task<FetchedSegment> ReadAndVerifyAsync(long index, GetObjectResponse response, CancellationToken ct)
    {
        var expected = tracker.TryGetInfo(index);
        var length = response.ContentLength;
        if (TotalSize(response.ContentRange) is { } total && total != length)
        {
            // The range covered less than the object: it is not the segment the publisher stored.
            throw new SegmentCorruptException(index, $"S3 holds {total} bytes, the publisher stored {length}");
        }
        if (length is < 0 or > MaxSegmentBytes || (expected is not null && length != expected.Size))
        {
            throw new SegmentCorruptException(index, $"S3 holds {length} bytes, the publisher stored {expected?.Size.ToString(CultureInfo.InvariantCulture) ?? "at most 5 GiB"}");
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
                    crc.Append(chunk);
                    md5?.AppendData(chunk);
                }, ct).ConfigureAwait(false);
            }
            catch (Amazon.Runtime.AmazonClientException e)
            {
                // The SDK checks a single-part object's body against its ETag (MD5) as the last byte is read, before our
                // own CRC: a damaged body, so a verification failure (retried, then exit 7), not a transfer error.
                throw new SegmentCorruptException(index, $"the body does not match the object's ETag (MD5): {AwsErrors.Describe(e)}");
            }
            if (read != length)
            {
                throw new SegmentCorruptException(index, $"the body ended after {read} of {length} bytes");
            }
            var actual = crc.Finish();
            var info = expected ?? FromMetadata(index, length, response);
            if (info is not null)
            {
                if (info.Checksum != actual)
                {
                    throw new SegmentCorruptException(index, $"CRC64/NVME is {actual}, the publisher recorded {info.Checksum}");
                }
            }
            else if (tracker.IsLegacy)
            {
                VerifyEtag(index, response.ETag, md5!.GetHashAndReset());
            }
            else
            {
                throw new SegmentCorruptException(index, "the object carries no checksum and the publisher announced none");
            }
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
    private static long? TotalSize(string? contentRange)
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

    private static void VerifyEtag(long index, string? etag, byte[] md5)
    {
        var tag = etag?.Trim('"').ToLowerInvariant();
        // A multipart or KMS ETag is not an MD5; such an s3pipe2 segment can only be checked by the stream size.
        if (tag is { Length: 32 } && tag.All(Uri.IsHexDigit) && tag != Convert.ToHexStringLower(md5))
        {
            throw new SegmentCorruptException(index, $"MD5 is {Convert.ToHexStringLower(md5)}, the ETag says {tag}");
        }
    }
}
