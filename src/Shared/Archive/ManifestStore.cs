using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>Reads and writes a broadcast's <c>.manifest</c> and <c>.checksums</c> objects.</summary>
internal sealed class ManifestStore(IAmazonS3 s3, BroadcastLocation location, ServerSideEncryptionMethod? sse = null)
{
    public BroadcastLocation Location { get; } = location;

    /// <summary>The manifest, or null when there is none (yet).</summary>
    public async Task<Manifest?> TryReadAsync(CancellationToken ct)
    {
        var text = await TryReadTextAsync(KeyLayout.ManifestKey(Location.Prefix), ManifestCodec.MaxBytes, ct).ConfigureAwait(false);
        if (text is null)
        {
            return null;
        }
        try
        {
            return ManifestCodec.Parse(text);
        }
        catch (ManifestException e)
        {
            throw new FatalException(ExitCodes.Integrity, $"{Location}/{KeyLayout.ManifestName} is malformed: {e.Message}", e);
        }
    }

    public Task WriteAsync(Manifest manifest, CancellationToken ct) =>
        WriteTextAsync(KeyLayout.ManifestKey(Location.Prefix), ManifestCodec.Format(manifest), ct);

    public Task WriteChecksumsAsync(IEnumerable<SegmentInfo> segments, CancellationToken ct) =>
        WriteTextAsync(KeyLayout.ChecksumsKey(Location.Prefix), ChecksumIndexCodec.Format(segments), ct);

    /// <summary>The checksum index of a completed broadcast, or null when it has none (an s3pipe2 archive).</summary>
    public async Task<IReadOnlyList<SegmentInfo>?> TryReadChecksumsAsync(CancellationToken ct)
    {
        var text = await TryReadTextAsync(KeyLayout.ChecksumsKey(Location.Prefix), 64L * 1024 * 1024, ct).ConfigureAwait(false);
        if (text is null)
        {
            return null;
        }
        try
        {
            return ChecksumIndexCodec.Parse(text);
        }
        catch (ManifestException e)
        {
            throw new FatalException(ExitCodes.Integrity, $"{Location}/{KeyLayout.ChecksumsName} is malformed: {e.Message}", e);
        }
    }

    private async Task<string?> TryReadTextAsync(string key, long maxBytes, CancellationToken ct)
    {
        try
        {
            using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Location.Bucket, Key = key }, ct).ConfigureAwait(false);
            if (response.ContentLength > maxBytes)
            {
                throw new FatalException(ExitCodes.Integrity, $"s3://{Location.Bucket}/{key} is {response.ContentLength} bytes; at most {maxBytes} expected");
            }
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (AwsErrors.IsNotFound(e) && e.ErrorCode != "NoSuchBucket")
        {
            // Also a 404 whose error body could not be read whole (AmazonUnmarshallingException): still "not there".
            return null;
        }
    }

    private async Task WriteTextAsync(string key, string text, CancellationToken ct)
    {
        var request = new PutObjectRequest
        {
            BucketName = Location.Bucket,
            Key = key,
            ContentBody = text,
            ContentType = "text/plain; charset=utf-8",
        };
        if (sse is not null)
        {
            request.ServerSideEncryptionMethod = sse;
        }
        await s3.PutObjectAsync(request, ct).ConfigureAwait(false);
    }
}
