using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;
using S3Fanout.TestSupport;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// An S3 client that serves one complete broadcast of any number of tiny segments (1–8 bytes each, made up from the
/// index when asked for, so millions cost no memory per segment: <see cref="SyntheticArchive"/>), with its
/// <c>.manifest</c> and its <c>.checksums</c> (held as one UTF-8 byte array: about 31 bytes a segment), to GetObject (byte ranges included, as S3 answers them)
/// and GetObjectMetadata. Every other call would go to a closed port.
/// </summary>
internal sealed class SyntheticArchiveS3 : AmazonS3Client
{
    private readonly BroadcastLocation _location;

    public SyntheticArchiveS3(BroadcastLocation location, long segments)
        : base(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
    {
        _location = location;
        Archive = SyntheticArchive.Of(segments);
    }

    public SyntheticArchive Archive { get; }

    public long Segments => Archive.Segments;

    public long Bytes => Archive.Bytes;

    public string StreamSha256 => Archive.StreamSha256;

    /// <summary>The size of the <c>.checksums</c> object.</summary>
    public long IndexBytes => Archive.Index.LongLength;

    public override Task<GetObjectMetadataResponse> GetObjectMetadataAsync(GetObjectMetadataRequest request, CancellationToken cancellationToken = default)
    {
        var body = Find(request.Key);
        return Task.FromResult(new GetObjectMetadataResponse { ETag = "\"synthetic\"", ContentLength = body.Length });
    }

    public override Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        var body = Find(request.Key);
        var openEnded = request.ByteRange?.FormattedByteRange?.EndsWith('-') == true;
        var (first, last) = request.ByteRange is null || openEnded ? (0L, body.Length - 1L)
            : (request.ByteRange.Start, Math.Min(request.ByteRange.End, body.Length - 1L));
        var length = Math.Max(0, last - first + 1);
        var response = new GetObjectResponse
        {
            ResponseStream = new MemoryStream(body, (int)first, (int)length, writable: false),
            ContentLength = length,
            ETag = "\"synthetic\"",
        };
        if (request.ByteRange is not null)
        {
            response.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/{body.Length}");
        }
        return Task.FromResult(response);
    }

    private byte[] Find(string key)
    {
        if (key == KeyLayout.ChecksumsKey(_location.Prefix))
        {
            return Archive.Index;
        }
        if (key == KeyLayout.ManifestKey(_location.Prefix))
        {
            return Archive.Manifest;
        }
        if (KeyLayout.TryParseSegmentIndex(_location.Prefix, key, out var index) && index >= 1 && index <= Segments)
        {
            return SyntheticArchive.Segment(index);
        }
        throw new AmazonS3Exception("The specified key does not exist.", ErrorType.Sender, "NoSuchKey", "req", HttpStatusCode.NotFound);
    }
}
