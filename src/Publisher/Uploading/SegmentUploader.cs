using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Publisher.Uploading;

/// <summary>
/// Uploads sealed segments with <see cref="PublisherOptions.Workers"/> PUTs in flight, each the way <see cref="PlainPut"/> stores
/// every object (CRC-64/NVME or Content-MD5 on the wire, S3's answer checked). A stored segment is passed on with its CRC64/NVME, once its read replicas
/// (<see cref="ReplicaCopier"/>) are stored too.
/// </summary>
internal sealed class SegmentUploader(
    ChannelReader<SealedSegment> input,
    ChannelWriter<SegmentInfo> stored,
    IAmazonS3 s3,
    SegmentSlots slots,
    StepRetry retry,
    PublisherOptions options,
    TransferProgress progress,
    TimeProvider time,
    ILogger<SegmentUploader> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Uploader started with {Workers} workers", options.Workers);
        try
        {
            // The first worker to fail cancels its siblings, which may be parked on the input channel.
            await StageGroup.RunAsync(ct, [.. Enumerable.Repeat<Func<CancellationToken, Task>>(WorkAsync, options.Workers)]).ConfigureAwait(false);
            stored.TryComplete();
        }
        catch (Exception e)
        {
            stored.TryComplete(e);
            throw;
        }
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var segment in input.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try
            {
                var info = await UploadAsync(segment, ct).ConfigureAwait(false);
                await stored.WriteAsync(info, ct).ConfigureAwait(false);
            }
            finally
            {
                segment.Buffer.Dispose();
                slots.Release();
            }
        }
    }

    private async Task<SegmentInfo> UploadAsync(SealedSegment segment, CancellationToken ct)
    {
        var key = KeyLayout.SegmentKey(options.Location.Prefix, segment.Index);
        // The MD5 only where the PUT sends Content-MD5 (--checksum md5, or an endpoint without flexible checksums): it costs
        // about nine times the CRC-64/NVME per byte.
        using var md5 = options.Put.SendsMd5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var crc = new SegmentChecksum();
        segment.Buffer.ForEachChunk(chunk =>
        {
            md5?.AppendData(chunk);
            crc.Append(chunk);
        });
        var md5Bytes = md5?.GetHashAndReset();
        var info = new SegmentInfo(segment.Index, segment.Offset, segment.Buffer.Length, crc.Finish());
        try
        {
            var stored = new StoredCopy();
            await retry.ExecuteAsync(async token => await PutAsync(segment, key, info, md5Bytes, stored, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (FatalException e) when (!e.Retryable && e.ExitCode == ExitCodes.NotFound)
        {
            throw; // another publisher's segment: said in full already, and no attempt was left unused
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var fatal = AwsErrors.ToFatal(e, $"segment {key}");
            throw new FatalException(fatal.ExitCode,
                $"segment {segment.Index} (s3://{options.Location.Bucket}/{key}) could not be stored after {retry.Tries} attempts: {AwsErrors.Describe(e)}", e);
        }
        if (options.Replicas > 0)
        {
            await new ReplicaCopier(s3, retry, options.Location, options.Replicas, options.Sse, options.TransferIdleTimeout, time, logger).CopyAsync(info, md5Bytes, ct).ConfigureAwait(false);
        }
        logger.LogInformation("Stored segment {SegmentIndex} ({Size} bytes)", segment.Index, info.Size);
        progress.AddSegment(info.Size);
        return info;
    }

    /// <summary>One attempt, bounded by a <see cref="ProgressWatchdog"/>: the SDK reading the body is progress, and so is
    /// its answer; a PUT that moves no byte and gets no answer for the idle timeout is abandoned and tried again.</summary>
    private Task PutAsync(SealedSegment segment, string key, SegmentInfo info, byte[]? md5, StoredCopy stored, CancellationToken ct) =>
        ProgressWatchdog.RunAsync(options.TransferIdleTimeout, time, $"PUT of segment {segment.Index}", watchdog => PutOnceAsync(segment, key, info, md5, stored, watchdog), ct);

    private async Task PutOnceAsync(SealedSegment segment, string key, SegmentInfo info, byte[]? md5, StoredCopy stored, ProgressWatchdog watchdog)
    {
        await using var body = new ProgressStream(segment.Buffer.OpenRead(), watchdog);
        var request = new PutObjectRequest
        {
            BucketName = options.Location.Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
        };
        request.Metadata[MetadataNames.Checksum] = info.Checksum;
        request.Metadata[MetadataNames.Offset] = info.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            // If absent: a key already taken is another publisher's (or an earlier attempt's, checked below). Once an
            // attempt of ours stored the segment damaged, the next overwrites exactly that object.
            var condition = stored.ETag is { } ours ? PutCondition.IfUnchanged(ours) : PutCondition.IfAbsent;
            await PlainPut.PutAsync(s3, request, md5, info.Checksum, options.Put, $"segment {segment.Index}", watchdog.Token, condition).ConfigureAwait(false);
        }
        catch (FatalException e) when (PlainPut.StoredETagOf(e) is { } damaged)
        {
            stored.ETag = damaged;
            throw;
        }
        catch (Exception e) when (AwsErrors.Classify(e).Kind == FailureKind.PreconditionFailed)
        {
            await ConfirmOwnAsync(segment, key, info, md5, stored, e, watchdog.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a refused condition: an earlier attempt of this PUT may have landed with its answer lost. The stored object is
    /// this segment when S3's own digest of it says so (the ETag where it is an MD5, else the CRC-64/NVME S3 returns);
    /// when S3 gives neither, its size and the CRC-64/NVME and offset in its metadata decide. An object of ours whose
    /// bytes differ is overwritten by the next attempt; any other object is another publisher's, and this one stops.
    /// </summary>
    private async Task ConfirmOwnAsync(SealedSegment segment, string key, SegmentInfo info, byte[]? md5, StoredCopy stored, Exception refusal, CancellationToken ct)
    {
        var head = await s3.GetObjectMetadataAsync(
            new GetObjectMetadataRequest { BucketName = options.Location.Bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED }, ct).ConfigureAwait(false);
        var ourMetadata = head.ContentLength == info.Size && head.Metadata[MetadataNames.Checksum] == info.Checksum
            && head.Metadata[MetadataNames.Offset] == info.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool? sameBytes;
        if (EtagDigest.IsMd5(head.ServerSideEncryptionMethod, head.ServerSideEncryptionCustomerMethod))
        {
            // The MD5 was computed before the PUT only where the PUT sent Content-MD5.
            if (md5 is null)
            {
                await using var body = segment.Buffer.OpenRead();
                md5 = (await StreamDigest.ReadAsync(body, HashAlgorithmName.MD5, ct).ConfigureAwait(false)).Digest;
            }
            sameBytes = EtagDigest.Normalize(head.ETag) == Convert.ToHexStringLower(md5);
        }
        else
        {
            sameBytes = string.IsNullOrEmpty(head.ChecksumCRC64NVME) ? null : head.ChecksumCRC64NVME == info.Checksum;
        }
        if (ourMetadata && sameBytes != false)
        {
            return;
        }
        if (ourMetadata)
        {
            stored.ETag = head.ETag;
            throw new FatalException(ExitCodes.Integrity, $"segment {info.Index} was stored damaged by an earlier attempt; storing it again", refusal, retryable: true);
        }
        throw new FatalException(ExitCodes.NotFound,
            $"segment {info.Index} (s3://{options.Location.Bucket}/{key}) was written by another publisher of {options.Location}; this one stops", refusal);
    }

    /// <summary>What one segment's attempts know of the object they stored: its ETag once an attempt stored it damaged.</summary>
    private sealed class StoredCopy
    {
        public string? ETag { get; set; }
    }
}
