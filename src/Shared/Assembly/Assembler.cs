using System.Buffers;
using System.Collections.Concurrent;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Assembly;

/// <summary>
/// Builds one ordinary S3 object from a complete broadcast with a multipart upload whose parts S3 copies from the
/// segments (UploadPartCopy), downloading only what <see cref="AssemblyPlanner"/> must upload itself.
/// </summary>
/// <remarks>
/// Integrity, without downloading the result:
/// <list type="bullet">
/// <item>The upload asks for CRC-64/NVME with checksum type FULL_OBJECT
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html: CRC-64/NVME supports full-object
/// checksums for multipart uploads), so S3 returns each part's CRC-64/NVME, copied ones included
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html, CopyPartResult ChecksumCRC64NVME: present
/// if the upload was created with that algorithm).</item>
/// <item>Before completing, the parts' CRCs folded in order must equal the stream's CRC folded from the segments'. A
/// damaged or replaced segment fails here, and the upload is aborted.</item>
/// <item>CompleteMultipartUpload carries the stream's CRC as the full-object checksum, which S3 checks, and answers
/// with the object's (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).</item>
/// <item>An endpoint that returns no part checksums cannot be checked before completion: the result is then streamed
/// back and checked (as with --verify-download), and deleted if it is wrong.</item>
/// </list>
/// Every failure after the upload is created aborts it (AbortMultipartUpload), so no incomplete upload is left behind.
/// </remarks>
internal sealed class Assembler(IAmazonS3 s3, BroadcastStore store, StepRetry retry, ILogger<Assembler> logger)
{
    public async Task<AssemblyResult> RunAsync(AssemblySource source, AssemblyTarget target, CancellationToken ct)
    {
        var plan = AssemblyPlanner.Plan(source.Segments);
        var sse = target.Sse ?? await SourceEncryptionAsync(source, ct).ConfigureAwait(false);
        logger.LogInformation("Assembling {Source} into {Target}: {Parts} parts of at least {Floor} bytes, {Copied} copied by S3, {Downloaded} bytes downloaded",
            source.Location, target, plan.Parts.Count, plan.MinPartBytes, plan.CopiedParts, plan.DownloadedBytes);
        string verifiedBy;
        if (plan.Parts.Count == 0)
        {
            await PutEmptyAsync(target, sse, ct).ConfigureAwait(false);
            verifiedBy = "empty";
        }
        else
        {
            verifiedBy = await UploadAsync(source, target, plan, sse, ct).ConfigureAwait(false);
        }
        string? sha256 = null;
        if (target.VerifyDownload || verifiedBy == "download")
        {
            sha256 = await VerifyByDownloadAsync(source, target, ct).ConfigureAwait(false);
            verifiedBy = verifiedBy == "download" ? "download" : verifiedBy + "+download";
        }
        return new AssemblyResult(target.ToString(), plan.Bytes, plan.Parts.Count, plan.CopiedParts, plan.CopiedBytes,
            plan.DownloadedBytes + source.DownloadedBytes, source.StreamCrc, sha256 ?? source.Manifest.StreamSha256, verifiedBy);
    }

    private async Task<string> UploadAsync(AssemblySource source, AssemblyTarget target, AssemblyPlan plan, SseSettings? sse, CancellationToken ct)
    {
        var create = new InitiateMultipartUploadRequest
        {
            BucketName = target.Bucket,
            Key = target.Key,
            ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME,
            ChecksumType = ChecksumType.FULL_OBJECT,
            ContentType = "application/octet-stream",
        };
        sse?.ApplyTo(create);
        var uploadId = (await retry.ExecuteAsync(async t => await s3.InitiateMultipartUploadAsync(create, t).ConfigureAwait(false), ct).ConfigureAwait(false)).UploadId;
        var completed = false;
        try
        {
            var done = new ConcurrentDictionary<int, (string ETag, string? Crc)>();
            await Parallel.ForEachAsync(plan.Parts, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, target.Workers), CancellationToken = ct },
                async (part, t) => done[part.Number] = part.IsCopy
                    ? await CopyPartAsync(source, target, uploadId, part, t).ConfigureAwait(false)
                    : await UploadPartAsync(source, target, uploadId, part, t).ConfigureAwait(false)).ConfigureAwait(false);

            var verifiedBy = CheckParts(source, plan, done);
            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = target.Bucket,
                Key = target.Key,
                UploadId = uploadId,
                PartETags = [.. plan.Parts.Select(p => new PartETag { PartNumber = p.Number, ETag = done[p.Number].ETag, ChecksumCRC64NVME = done[p.Number].Crc })],
                ChecksumCRC64NVME = source.StreamCrc,
                ChecksumType = ChecksumType.FULL_OBJECT,
                // Written only where no object is, unless --force
                // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html, If-None-Match: 412 when the key exists).
                IfNoneMatch = target.Force ? null : "*",
            };
            CompleteMultipartUploadResponse answer;
            try
            {
                answer = await retry.ExecuteAsync(async t => await s3.CompleteMultipartUploadAsync(complete, t).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.PreconditionFailed)
            {
                throw DestinationExists(target);
            }
            completed = true;
            if (answer.ChecksumCRC64NVME is { } whole)
            {
                if (whole != source.StreamCrc)
                {
                    await DeleteWrongResultAsync(target, $"S3's full-object CRC-64/NVME {whole} differs from the stream's {source.StreamCrc}").ConfigureAwait(false);
                }
                return "full-object-crc";
            }
            return verifiedBy;
        }
        catch (Exception e) when (!completed)
        {
            await AbortAsync(target, uploadId, e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The stream's CRC against the parts' CRCs folded in order. Returns how the parts were checked: "part-crc", or
    /// "download" when the endpoint returned no CRC for a copied part (checked after completion instead).
    /// </summary>
    private string CheckParts(AssemblySource source, AssemblyPlan plan, ConcurrentDictionary<int, (string ETag, string? Crc)> done)
    {
        if (plan.Parts.Any(p => done[p.Number].Crc is null))
        {
            logger.LogWarning("The endpoint returned no CRC-64/NVME for copied parts of {Target}; the result is checked by downloading it", source.Location);
            return "download";
        }
        var folded = SegmentChecksum.Of([]);
        foreach (var part in plan.Parts)
        {
            folded = Crc64Combine.Combine(folded, done[part.Number].Crc!, part.Length);
        }
        if (folded != source.StreamCrc)
        {
            throw new FatalException(ExitCodes.Integrity,
                $"the copied parts of {source.Location} have CRC-64/NVME {folded}, the stream's segments {source.StreamCrc}: {Culprits(source, plan, done)}");
        }
        return "part-crc";
    }

    /// <summary>The parts whose CRC differs from what their pieces' segments say, where that can be told from the segments alone.</summary>
    private static string Culprits(AssemblySource source, AssemblyPlan plan, ConcurrentDictionary<int, (string ETag, string? Crc)> done)
    {
        var bad = plan.Parts.Where(p => p.Copy is { IsWholeSegment: true } c && done[p.Number].Crc != c.Segment.Crc)
            .Select(p => $"segment {p.Copy!.Segment.Index} ({p.Copy.Segment.Key}) does not match its recorded CRC-64/NVME").ToList();
        return bad.Count > 0 ? string.Join("; ", bad) : $"a segment of {source.Location} was changed after it was published";
    }

    private async Task<(string, string?)> CopyPartAsync(AssemblySource source, AssemblyTarget target, string uploadId, PlannedPart part, CancellationToken ct)
    {
        var piece = part.Copy!;
        var request = new CopyPartRequest
        {
            SourceBucket = source.Location.Bucket,
            SourceKey = piece.Segment.Key,
            DestinationBucket = target.Bucket,
            DestinationKey = target.Key,
            UploadId = uploadId,
            PartNumber = part.Number,
            // Copied only as listed: a segment replaced since is refused with 412, never mixed in
            // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html, x-amz-copy-source-if-match).
            ETagToMatch = piece.Segment.ETag is { } etag ? [etag] : null,
        };
        if (!piece.IsWholeSegment)
        {
            request.FirstByte = piece.From;
            request.LastByte = piece.From + piece.Length - 1;
        }
        var answer = await retry.ExecuteAsync(async t => await s3.CopyPartAsync(request, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        return (answer.ETag, answer.ChecksumCRC64NVME);
    }

    private async Task<(string, string?)> UploadPartAsync(AssemblySource source, AssemblyTarget target, string uploadId, PlannedPart part, CancellationToken ct)
    {
        var length = checked((int)part.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            foreach (var piece in part.Downloads)
            {
                var name = piece.Segment.Key[(source.Location.Prefix.Length + 1)..];
                await store.ReadRangeAsync(source.Location, name, piece.Segment.ETag, piece.From, buffer.AsMemory(at, (int)piece.Length), ct).ConfigureAwait(false);
                // A whole segment downloaded is checked on its own; pieces of one are covered by the check of all parts.
                if (piece.IsWholeSegment && SegmentChecksum.Of(buffer.AsSpan(at, (int)piece.Length)) != piece.Segment.Crc)
                {
                    throw new FatalException(ExitCodes.Integrity, $"segment {piece.Segment.Index} (s3://{source.Location.Bucket}/{piece.Segment.Key}) does not match its recorded CRC-64/NVME");
                }
                at += (int)piece.Length;
            }
            var crc = SegmentChecksum.Of(buffer.AsSpan(0, length));
            var answer = await retry.ExecuteAsync(async t =>
            {
                using var body = new MemoryStream(buffer, 0, length, writable: false);
                return await s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = target.Bucket,
                    Key = target.Key,
                    UploadId = uploadId,
                    PartNumber = part.Number,
                    InputStream = body,
                    PartSize = length,
                    // S3 checks the part against this value and refuses it with BadDigest if it differs.
                    ChecksumCRC64NVME = crc,
                    UseChunkEncoding = false,
                }, t).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return (answer.ETag, answer.ChecksumCRC64NVME ?? crc);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The refusal of a destination that already holds an object (exit 3).</summary>
    public static FatalException DestinationExists(AssemblyTarget target) =>
        new(ExitCodes.NotFound, $"{target} already exists; give --force to replace it");

    /// <summary>The encryption of the broadcast's first segment, which the destination keeps unless --sse says otherwise.</summary>
    private async Task<SseSettings?> SourceEncryptionAsync(AssemblySource source, CancellationToken ct)
    {
        if (source.Segments.Count == 0)
        {
            return null;
        }
        var head = await retry.ExecuteAsync(async t => await s3.GetObjectMetadataAsync(source.Location.Bucket, source.Segments[0].Key, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        var method = head.ServerSideEncryptionMethod;
        return method is null || method == ServerSideEncryptionMethod.None
            ? null
            : new SseSettings(method, method == ServerSideEncryptionMethod.AWSKMS ? head.ServerSideEncryptionKeyManagementServiceKeyId : null);
    }

    /// <summary>An empty broadcast is an empty object: a multipart upload needs at least one part, so it is one plain PUT.</summary>
    private async Task PutEmptyAsync(AssemblyTarget target, SseSettings? sse, CancellationToken ct)
    {
        await retry.ExecuteAsync(async t =>
        {
            var put = new PutObjectRequest
            {
                BucketName = target.Bucket,
                Key = target.Key,
                InputStream = new MemoryStream([], writable: false),
                ContentType = "application/octet-stream",
                ChecksumCRC64NVME = SegmentChecksum.Of([]),
                IfNoneMatch = target.Force ? null : "*",
                UseChunkEncoding = false,
            };
            sse?.ApplyTo(put);
            try
            {
                await s3.PutObjectAsync(put, t).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.PreconditionFailed)
            {
                throw DestinationExists(target);
            }
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Streams the result back: its length, CRC-64/NVME and SHA-256 against the broadcast's. Returns the SHA-256.</summary>
    private async Task<string> VerifyByDownloadAsync(AssemblySource source, AssemblyTarget target, CancellationToken ct)
    {
        var (length, crc, sha256) = await retry.ExecuteAsync(async t => await ObjectDigest.ReadAsync(s3, target.Bucket, target.Key, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        var expectedSha = source.Manifest.StreamSha256;
        if (length != source.Manifest.Bytes || crc != source.StreamCrc || (expectedSha is not null && sha256 != expectedSha))
        {
            await DeleteWrongResultAsync(target,
                $"it holds {length} bytes with CRC-64/NVME {crc} and SHA-256 {sha256}; the broadcast has {source.Manifest.Bytes} bytes, {source.StreamCrc} and {expectedSha ?? "no recorded SHA-256"}").ConfigureAwait(false);
        }
        return sha256;
    }

    /// <summary>A completed object that is not the stream is deleted, so nothing wrong is left under the key.</summary>
    private async Task DeleteWrongResultAsync(AssemblyTarget target, string why)
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await s3.DeleteObjectAsync(target.Bucket, target.Key, cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonS3Exception or OperationCanceledException or HttpRequestException)
        {
            throw new FatalException(ExitCodes.Integrity, $"{target} is not the broadcast ({why}), and deleting it failed ({AwsErrors.Describe(e)}): delete it by hand");
        }
        throw new FatalException(ExitCodes.Integrity, $"{target} was not the broadcast ({why}); it was deleted");
    }

    /// <summary>Aborts the upload so no parts are left behind (and billed), and says so.</summary>
    private async Task AbortAsync(AssemblyTarget target, string uploadId, Exception cause)
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await s3.AbortMultipartUploadAsync(target.Bucket, target.Key, uploadId, cleanup.Token).ConfigureAwait(false);
            logger.LogWarning("Aborted the multipart upload {UploadId} of {Target}: {Error}", uploadId, target, cause is FatalException f ? f.Message : AwsErrors.Describe(cause));
        }
        catch (Exception e) when (e is AmazonS3Exception or OperationCanceledException or HttpRequestException)
        {
            logger.LogError("Could not abort the multipart upload {UploadId} of {Target} ({Error}): remove it with aws s3api abort-multipart-upload, or a lifecycle rule",
                uploadId, target, AwsErrors.Describe(e));
        }
    }
}
