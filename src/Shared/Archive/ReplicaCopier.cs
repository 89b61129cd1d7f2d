using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// Writes the read replicas of a stored segment (<c>--replicas K</c>): a server-side copy of the primary to each
/// <see cref="KeyLayout.ReplicaPrefix"/>, checked against the segment's own CRC-64/NVME, before the segment is announced.
/// No segment byte passes through the writer (publisher or relay) again.
/// </summary>
/// <remarks>
/// CopyObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html) keeps the source's metadata (our
/// checksum and offset) with the default metadata directive COPY, and answers with the copy's checksum:
/// "ChecksumCRC64NVME [...] is present if the object being copied was uploaded with the CRC64NVME checksum algorithm, or if
/// the object was uploaded without a checksum (and Amazon S3 added the default checksum, CRC64NVME)"
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObjectResult.html). An endpoint that returns none (fauxqs
/// does not) is checked by the copy's ETag where that is the body's MD5 (no SSE-KMS, no SSE-C), else by a HEAD of the copy
/// for its size and S3's checksum. Each replica is tagged <c>s3fanout-replica=true</c> (x-amz-tagging-directive REPLACE,
/// same page) so that a bucket lifecycle rule can expire replicas by tag (README); an endpoint that ignores object tags
/// (fauxqs stores none) still gets the copy. The copy uses the writer's own encryption settings, as every object it writes.
/// </remarks>
/// <param name="location">The broadcast whose primaries are copied.</param>
/// <param name="transferIdleTimeout">A copy that gets no answer for this long is tried again: S3 copies even 5 GiB within that.</param>
internal sealed class ReplicaCopier(
    IAmazonS3 s3, StepRetry retry, BroadcastLocation location, int replicas, SseSettings? sse, TimeSpan transferIdleTimeout, TimeProvider time, ILogger logger)
{
    public const string TagKey = "s3fanout-replica";

    /// <param name="md5">The segment's MD5 where the writer knows it (the publisher), else null.</param>
    public async Task CopyAsync(SegmentInfo info, byte[]? md5, CancellationToken ct)
    {
        var source = KeyLayout.SegmentKey(location.Prefix, info.Index);
        for (var replica = 1; replica <= replicas; replica++)
        {
            var key = KeyLayout.SegmentKey(location.Prefix, info.Index, replica);
            try
            {
                await retry.ExecuteAsync(async token => await CopyOnceAsync(source, key, info, md5, token).WaitAsync(transferIdleTimeout, time, token).ConfigureAwait(false), ct)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var fatal = AwsErrors.ToFatal(e, "");
                throw new FatalException(fatal.ExitCode,
                    $"replica {replica} of segment {info.Index} (s3://{location.Bucket}/{key}) could not be stored after {retry.Tries} attempts: {AwsErrors.Describe(e)}", e);
            }
        }
        logger.LogDebug("Stored {Replicas} replicas of segment {SegmentIndex}", replicas, info.Index);
    }

    private async Task CopyOnceAsync(string source, string key, SegmentInfo info, byte[]? md5, CancellationToken ct)
    {
        var request = new CopyObjectRequest
        {
            SourceBucket = location.Bucket,
            SourceKey = source,
            DestinationBucket = location.Bucket,
            DestinationKey = key,
            ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME,
            TaggingDirective = TaggingDirective.REPLACE,
            TagSet = [new Tag { Key = TagKey, Value = "true" }],
        };
        sse?.ApplyTo(request);
        var copy = await s3.CopyObjectAsync(request, ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(copy.ChecksumCRC64NVME))
        {
            Check(copy.ChecksumCRC64NVME == info.Checksum, key, $"S3's CRC-64/NVME of the copy is {copy.ChecksumCRC64NVME}, the segment's {info.Checksum}");
            return;
        }
        // No checksum in the answer: the ETag is the copy's MD5 where it is one; otherwise its size and S3's checksum.
        if (md5 is not null && EtagDigest.IsMd5(copy.ServerSideEncryptionMethod, copy.ServerSideEncryptionCustomerMethod) && !string.IsNullOrEmpty(copy.ETag))
        {
            Check(EtagDigest.Normalize(copy.ETag) == Convert.ToHexStringLower(md5), key, $"the copy's ETag {copy.ETag} is not the segment's MD5");
            return;
        }
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = location.Bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED }, ct)
            .ConfigureAwait(false);
        Check(head.ContentLength == info.Size && (string.IsNullOrEmpty(head.ChecksumCRC64NVME) || head.ChecksumCRC64NVME == info.Checksum), key,
            $"the copy has {head.ContentLength} bytes and CRC-64/NVME {head.ChecksumCRC64NVME}, the segment {info.Size} and {info.Checksum}");
    }

    private static void Check(bool ok, string key, string detail)
    {
        if (!ok)
        {
            throw new FatalException(ExitCodes.Integrity, $"replica {key} differs from its segment: {detail}", retryable: true);
        }
    }
}
