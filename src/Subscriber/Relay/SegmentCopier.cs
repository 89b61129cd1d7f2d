using System.Globalization;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Relay;

/// <summary>
/// Copies each stored segment of the source into the destination's s3pipe2 layout, server-side, with
/// <see cref="RelayOptions.Workers"/> CopyObject calls in flight, and passes each copy on (in whatever order they finish)
/// only once it matched the publisher's CRC-64/NVME. No segment byte passes through the relay unless the endpoint
/// returns no checksum for a copy; then, and only then, the copy is downloaded and checked (said once in the log).
/// </summary>
/// <remarks>
/// CopyObject copies "up to 5 GB in size in a single atomic action"; larger objects need UploadPartCopy
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). A segment is one PutObject, whose limit is
/// the same 5 GB (the publisher's -m is at most 5120 MiB, <see cref="S3Limits.MaxObjectBytes"/>), so every segment fits
/// one CopyObject; a larger one can only come from a manifest not written by S3Fanout and is refused.
/// The copy keeps the source object's metadata (MetadataDirective COPY: the CRC-64/NVME and offset that subscribers of an
/// open broadcast check), and asks S3 for the copy's CRC-64/NVME (x-amz-checksum-algorithm); S3 returns it in
/// CopyObjectResult's ChecksumCRC64NVME, computed over the new object
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObjectResult.html).
/// <para><paramref name="retry"/> (-t attempts of --request-timeout) serves the HEADs; <paramref name="copyRetry"/> has no
/// fixed attempt limit: each CopyObject is bounded by <see cref="RelayOptions.CopyTimeout"/>, each fallback download by
/// the no-progress watchdog.</para>
/// </remarks>
internal sealed class SegmentCopier(
    BroadcastTracker tracker,
    IAmazonS3 source,
    IAmazonS3 destination,
    ChannelWriter<SegmentInfo> copied,
    StepRetry retry,
    StepRetry copyRetry,
    RelayOptions options,
    TimeProvider time,
    ILogger<SegmentCopier> logger)
{
    private static readonly TimeSpan SafetyWake = TimeSpan.FromSeconds(1);
    private readonly SortedSet<long> _done = [];
    private long _contiguous;
    private int _downloadWarned;
    private long _byChecksum;
    private long _byDownload;

    /// <summary>Copies checked by the checksum S3 returned for them.</summary>
    public long CheckedByCopyChecksum => Interlocked.Read(ref _byChecksum);

    /// <summary>Copies checked by downloading them (the endpoint returned no checksum).</summary>
    public long CheckedByDownload => Interlocked.Read(ref _byDownload);

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Copier started with {Workers} workers: {Source} to {Destination}", options.Workers, tracker.Location, options.Destination);
        var jobs = Channel.CreateBounded<long>(new BoundedChannelOptions(options.Workers) { SingleWriter = true });
        try
        {
            await StageGroup.RunAsync(ct, [t => PlanAsync(jobs.Writer, t), .. Enumerable.Repeat<Func<CancellationToken, Task>>(t => WorkAsync(jobs.Reader, t), options.Workers)]).ConfigureAwait(false);
            copied.TryComplete();
        }
        catch (Exception e)
        {
            copied.TryComplete(e);
            throw;
        }
    }

    /// <summary>Every segment the publisher said is stored, in order, until the end of the broadcast; an abort ends the relay.</summary>
    private async Task PlanAsync(ChannelWriter<long> jobs, CancellationToken ct)
    {
        var next = 1L;
        try
        {
            while (true)
            {
                if (tracker.AbortReason is { } reason)
                {
                    throw new FatalException(ExitCodes.BroadcastFailed, $"the publisher aborted {tracker.Location}: {reason}");
                }
                var final = tracker.Final;
                while ((final is null || next <= final.Segments) && tracker.IsStored(next))
                {
                    await jobs.WriteAsync(next++, ct).ConfigureAwait(false);
                }
                if (final is not null && next > final.Segments)
                {
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

    private async Task WorkAsync(ChannelReader<long> jobs, CancellationToken ct)
    {
        await foreach (var index in jobs.ReadAllAsync(ct).ConfigureAwait(false))
        {
            var info = await ExpectedAsync(index, ct).ConfigureAwait(false);
            await CopyAsync(info, ct).ConfigureAwait(false);
            await copied.WriteAsync(info, ct).ConfigureAwait(false);
            Done(index);
        }
    }

    /// <summary>
    /// The publisher's record of the segment: its notification or checksum index, else the CRC-64/NVME and offset the
    /// publisher stored in the object's metadata, read with a HEAD (no body).
    /// </summary>
    private async Task<SegmentInfo> ExpectedAsync(long index, CancellationToken ct)
    {
        await tracker.LoadChecksumsThroughAsync(index, ct).ConfigureAwait(false);
        if (tracker.TryGetInfo(index) is { } known)
        {
            return known;
        }
        var key = KeyLayout.SegmentKey(tracker.Location.Prefix, index);
        try
        {
            var head = await retry.ExecuteAsync(async t => await source.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = tracker.Location.Bucket, Key = key }, t).ConfigureAwait(false), ct).ConfigureAwait(false);
            var checksum = head.Metadata[MetadataNames.Checksum];
            if (!SegmentChecksum.IsWellFormed(checksum)
                || !long.TryParse(head.Metadata[MetadataNames.Offset], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                throw new FatalException(ExitCodes.Integrity, $"segment {index} (s3://{tracker.Location.Bucket}/{key}) carries no CRC-64/NVME and the publisher announced none; a relay checks every copy against it");
            }
            return new SegmentInfo(index, offset, head.ContentLength, checksum);
        }
        catch (Exception e) when (e is not FatalException && AwsErrors.Classify(e).Kind != FailureKind.Cancelled)
        {
            throw AwsErrors.ToFatal(e, $"segment {index} (s3://{tracker.Location.Bucket}/{key})");
        }
    }

    private async Task CopyAsync(SegmentInfo info, CancellationToken ct)
    {
        var key = KeyLayout.SegmentKey(options.Destination.Prefix, info.Index);
        var url = $"s3://{options.Destination.Bucket}/{key}";
        if (info.Size > S3Limits.MaxObjectBytes)
        {
            throw new FatalException(ExitCodes.Transfer, $"segment {info.Index} is {info.Size} bytes, over CopyObject's 5 GiB; S3Fanout publishers never store such a segment");
        }
        var stored = new StoredCopy();
        try
        {
            var check = await copyRetry.ExecuteAsync(async t => await CopyOnceAsync(info, key, stored, t).ConfigureAwait(false), ct).ConfigureAwait(false);
            Interlocked.Increment(ref check == CopyCheck.CopyChecksum ? ref _byChecksum : ref _byDownload);
        }
        catch (FatalException e) when (!e.Retryable && e.ExitCode == ExitCodes.NotFound)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var fatal = AwsErrors.ToFatal(e, $"segment {url}");
            throw new FatalException(fatal.ExitCode,
                $"segment {info.Index} could not be copied to {url} in {copyRetry.Tries} attempts: {AwsErrors.Describe(e)}", e);
        }
        if (options.Replicas > 0)
        {
            // From the checked copy, server-side, before the segment is announced: as the publisher writes its replicas.
            await new ReplicaCopier(destination, copyRetry, options.Destination, options.Replicas, options.Sse, options.TransferIdleTimeout, time, logger)
                .CopyAsync(info, md5: null, ct).ConfigureAwait(false);
        }
        logger.LogDebug("Copied segment {SegmentIndex} ({Size} bytes) to {Destination}", info.Index, info.Size, url);
    }

    private async ValueTask<CopyCheck> CopyOnceAsync(SegmentInfo info, string key, StoredCopy stored, CancellationToken ct)
    {
        var request = new CopyObjectRequest
        {
            SourceBucket = tracker.Location.Bucket,
            SourceKey = KeyLayout.SegmentKey(tracker.Location.Prefix, info.Index),
            DestinationBucket = options.Destination.Bucket,
            DestinationKey = key,
            MetadataDirective = S3MetadataDirective.COPY,
            ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME,
        };
        // --sse: a copy without it gets the destination bucket's default encryption, not the source object's (SseSettings).
        options.Sse?.ApplyTo(request);
        // As the publisher writes segments (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html:
        // If-None-Match applies "before creating it or copying it to the destination bucket"): only where no object is, or
        // over the copy an earlier attempt of ours stored damaged.
        var conditional = options.Conditions is { Enabled: true };
        if (conditional)
        {
            request.IfNoneMatch = stored.ETag is null ? "*" : null;
            request.IfMatch = stored.ETag;
        }
        CopyObjectResponse response;
        try
        {
            response = await SendAsync(request, info, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (conditional && AwsErrors.Classify(e).Kind == FailureKind.Unsupported)
        {
            options.Conditions!.Disable(AwsErrors.Describe(e));
            request.IfNoneMatch = null;
            request.IfMatch = null;
            response = await SendAsync(request, info, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.Classify(e).Kind == FailureKind.PreconditionFailed)
        {
            // An earlier attempt's copy whose answer was lost, or another writer's object: the bytes decide. Another
            // writer's object is left alone, and the relay stops, as a publisher that lost its name does.
            try
            {
                await VerifyByDownloadAsync(info, key, ct).ConfigureAwait(false);
            }
            catch (SegmentCorruptException other)
            {
                throw new FatalException(ExitCodes.NotFound,
                    $"segment {info.Index} (s3://{options.Destination.Bucket}/{key}) was written by another writer of {options.Destination} ({other.Detail}); this relay stops", e);
            }
            return CopyCheck.Download;
        }
        if (string.IsNullOrEmpty(response.ChecksumCRC64NVME))
        {
            if (Interlocked.Exchange(ref _downloadWarned, 1) == 0)
            {
                logger.LogWarning("The endpoint returned no CRC-64/NVME for the copy of segment {SegmentIndex}; each copy to {Destination} is downloaded and checked instead",
                    info.Index, options.Destination);
            }
            stored.ETag = response.ETag;
            await VerifyByDownloadAsync(info, key, ct).ConfigureAwait(false);
            return CopyCheck.Download;
        }
        if (response.ChecksumCRC64NVME != info.Checksum)
        {
            stored.ETag = response.ETag;
            throw new SegmentCorruptException(info.Index, $"S3 reports CRC64/NVME {response.ChecksumCRC64NVME} for the copy, the publisher recorded {info.Checksum}");
        }
        return CopyCheck.CopyChecksum;
    }

    /// <summary>One CopyObject, bounded by <see cref="RelayOptions.CopyTimeout"/>; no answer by then is a timeout, tried again.</summary>
    private async Task<CopyObjectResponse> SendAsync(CopyObjectRequest request, SegmentInfo info, CancellationToken ct)
    {
        var limit = options.CopyTimeout(info.Size);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(limit);
        try
        {
            return await destination.CopyObjectAsync(request, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (attempt.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"CopyObject of segment {info.Index} got no answer in {limit.TotalSeconds:0.#} s", e);
        }
    }

    /// <summary>The fallback: downloads the copy and checks its size and CRC-64/NVME, each attempt bounded by the no-progress watchdog.</summary>
    private Task VerifyByDownloadAsync(SegmentInfo info, string key, CancellationToken ct) =>
        ProgressWatchdog.RunAsync(options.TransferIdleTimeout, time, $"download of the copy of segment {info.Index}", async watchdog =>
        {
            using var response = await destination.GetObjectAsync(new GetObjectRequest { BucketName = options.Destination.Bucket, Key = key }, watchdog.Token).ConfigureAwait(false);
            var (length, actual, _) = await StreamDigest.ReadAsync(response.ResponseStream, digest: null, watchdog.Token, watchdog.Progress).ConfigureAwait(false);
            if (length != info.Size || actual != info.Checksum)
            {
                throw new SegmentCorruptException(info.Index,
                    $"the copy holds {length} bytes with CRC64/NVME {actual}, the publisher stored {info.Size} bytes with {info.Checksum}");
            }
        }, ct);

    /// <summary>Segments 1..k are copied: the tracker forgets them, so its memory stays flat however long the broadcast.</summary>
    private void Done(long index)
    {
        long through;
        lock (_done)
        {
            _done.Add(index);
            while (_done.Remove(_contiguous + 1))
            {
                _contiguous++;
            }
            through = _contiguous;
        }
        tracker.Forget(through);
    }

    /// <summary>What one segment's attempts know of the copy they stored: its ETag once an attempt stored it unverified.</summary>
    private sealed class StoredCopy
    {
        public string? ETag { get; set; }
    }
}
