using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Publisher.Segmenting;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Publisher.Uploading;

/// <summary>
/// Uploads sealed segments with <see cref="PublisherOptions.Workers"/> PUTs in flight. Each PUT carries Content-MD5, so S3
/// rejects a body damaged on the way, and S3's answer is checked too (<see cref="PutAnswer"/>). A stored segment is passed on with its CRC64/NVME.
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
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var crc = new SegmentChecksum();
        segment.Buffer.ForEachChunk(chunk =>
        {
            md5.AppendData(chunk);
            crc.Append(chunk);
        });
        var md5Bytes = md5.GetHashAndReset();
        var info = new SegmentInfo(segment.Index, segment.Offset, segment.Buffer.Length, crc.Finish());
        try
        {
            await retry.ExecuteAsync(async token => await PutAsync(segment, key, info, md5Bytes, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var fatal = AwsErrors.ToFatal(e, $"segment {key}");
            throw new FatalException(fatal.ExitCode,
                $"segment {segment.Index} (s3://{options.Location.Bucket}/{key}) could not be stored after {retry.Tries} attempts: {AwsErrors.Describe(e)}", e);
        }
        logger.LogInformation("Stored segment {SegmentIndex} ({Size} bytes)", segment.Index, info.Size);
        progress.AddSegment(info.Size);
        return info;
    }

    /// <summary>One attempt, bounded by a <see cref="ProgressWatchdog"/>: the SDK reading the body is progress, and so is
    /// its answer; a PUT that moves no byte and gets no answer for the idle timeout is abandoned and tried again.</summary>
    private Task PutAsync(SealedSegment segment, string key, SegmentInfo info, byte[] md5, CancellationToken ct) =>
        ProgressWatchdog.RunAsync(options.TransferIdleTimeout, time, $"PUT of segment {segment.Index}", watchdog => PutOnceAsync(segment, key, info, md5, watchdog), ct);

    private async Task PutOnceAsync(SealedSegment segment, string key, SegmentInfo info, byte[] md5, ProgressWatchdog watchdog)
    {
        await using var body = new ProgressStream(segment.Buffer.OpenRead(), watchdog);
        var request = new PutObjectRequest
        {
            BucketName = options.Location.Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            MD5Digest = Convert.ToBase64String(md5),
            ContentType = "application/octet-stream",
            // We computed the MD5 already (Content-MD5, checked by S3) and check S3's answer below; the SDK's own MD5 stream
            // would hash every byte a second time.
            DisableDefaultChecksumValidation = true,
            // Over HTTPS, TLS and Content-MD5 protect the body; signing it too would be a third hash of every byte.
            DisablePayloadSigning = options.UnsignedPayload,
            // The body's length is known and it is signed (or sent unsigned) whole; aws-chunked framing only adds
            // per-chunk signatures and copies (measured: 34-57 % more PUT throughput without it).
            UseChunkEncoding = false,
        };
        request.Metadata[MetadataNames.Checksum] = info.Checksum;
        request.Metadata[MetadataNames.Offset] = info.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Sse?.ApplyTo(request);
        var response = await s3.PutObjectAsync(request, watchdog.Token).ConfigureAwait(false);
        PutAnswer.Check(response, md5, info.Checksum, $"segment {segment.Index}");
    }
}
