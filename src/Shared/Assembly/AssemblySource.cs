using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Assembly;

/// <summary>
/// A complete broadcast as the assembler needs it: every segment's key, ETag, place in the stream and CRC-64/NVME,
/// and the stream's CRC-64/NVME folded from them (<see cref="Crc64Combine"/>).
/// </summary>
internal sealed record AssemblySource(BroadcastLocation Location, Manifest Manifest, IReadOnlyList<SourceSegment> Segments, string StreamCrc, long DownloadedBytes)
{
    /// <summary>
    /// Lists the segments and pairs them with <c>.checksums</c>. An s3pipe2 archive has no CRCs: each of its segments
    /// is downloaded once, its MD5 compared with its ETag (s3pipe2 wrote single-part objects, whose ETag is the MD5 of
    /// the body: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag), and its CRC computed.
    /// </summary>
    public static async Task<AssemblySource> LoadAsync(IAmazonS3 s3, BroadcastStore store, ManifestStore manifests, Manifest manifest, StepRetry retry, CancellationToken ct)
    {
        var location = manifests.Location;
        var keys = await store.ListKeysAsync(location, withOthers: false, ct).ConfigureAwait(false);
        var listed = keys.Segments.ToDictionary(o => o.Key, StringComparer.Ordinal);
        var segments = new List<SourceSegment>((int)Math.Min(manifest.Segments, 1_000_000));
        long downloaded = 0;
        if (manifest.IsLegacy)
        {
            long offset = 0;
            for (long i = 1; i <= manifest.Segments; i++)
            {
                var obj = Listed(listed, location, i);
                var crc = await HashLegacyAsync(s3, location, obj, retry, ct).ConfigureAwait(false);
                downloaded += obj.Size ?? 0;
                segments.Add(new SourceSegment(i, obj.Key, offset, obj.Size ?? 0, crc, obj.ETag));
                offset += obj.Size ?? 0;
            }
        }
        else
        {
            using var index = await manifests.TryOpenChecksumsAsync(ct).ConfigureAwait(false) is { } checksums
                ? checksums.OpenReader()
                : throw new FatalException(ExitCodes.NotFound, $"{location} has no {KeyLayout.ChecksumsName}: its segments' CRC-64/NVME are unknown, so it cannot be assembled and checked");
            while (await index.ReadAsync(ct).ConfigureAwait(false) is { } info)
            {
                var obj = Listed(listed, location, info.Index);
                if (obj.Size != info.Size || info.Index != segments.Count + 1)
                {
                    throw new FatalException(ExitCodes.Integrity,
                        $"{location}: segment {info.Index} is listed with {obj.Size} bytes, {KeyLayout.ChecksumsName} says {info.Size}");
                }
                segments.Add(new SourceSegment(info.Index, obj.Key, info.Offset, info.Size, info.Checksum, obj.ETag));
            }
        }
        if (segments.Count != manifest.Segments || segments.Sum(s => s.Size) != manifest.Bytes)
        {
            throw new FatalException(ExitCodes.Integrity,
                $"{location}: the manifest lists {manifest.Segments} segments of {manifest.Bytes} bytes, the archive holds {segments.Count} of {segments.Sum(s => s.Size)}");
        }
        var stream = SegmentChecksum.Of([]);
        foreach (var segment in segments)
        {
            stream = Crc64Combine.Combine(stream, segment.Crc, segment.Size);
        }
        return new AssemblySource(location, manifest, segments, stream, downloaded);
    }

    private static S3Object Listed(Dictionary<string, S3Object> listed, BroadcastLocation location, long index) =>
        listed.TryGetValue(KeyLayout.SegmentKey(location.Prefix, index), out var obj)
            ? obj
            : throw new FatalException(ExitCodes.Integrity, $"{location}: segment {index} is missing");

    private static async Task<string> HashLegacyAsync(IAmazonS3 s3, BroadcastLocation location, S3Object obj, StepRetry retry, CancellationToken ct) =>
        await retry.ExecuteAsync(async token =>
        {
            using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = obj.Key, EtagToMatch = obj.ETag }, token).ConfigureAwait(false);
            var (md5, crc, length) = await BroadcastStore.HashAsync(response.ResponseStream, token).ConfigureAwait(false);
            var etag = obj.ETag?.Trim('"') ?? "";
            // Under SSE-KMS or SSE-C the ETag is not the MD5 (EtagDigest): then the size and the CRC taken here are all there is.
            var md5Known = EtagDigest.IsMd5(response.ServerSideEncryptionMethod, response.ServerSideEncryptionCustomerMethod);
            if (length != obj.Size || (md5Known && !string.Equals(etag, Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase)))
            {
                throw new FatalException(ExitCodes.Integrity,
                    $"s3://{location.Bucket}/{obj.Key}: {length} bytes with MD5 {Convert.ToHexStringLower(md5)}, listed as {obj.Size} bytes with ETag {etag}");
            }
            return crc;
        }, ct).ConfigureAwait(false);
}
