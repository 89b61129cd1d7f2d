using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// An S3 client that serves one complete broadcast of any number of tiny segments (1–8 bytes each, made up from the
/// index when asked for, so millions cost no memory per segment), with its <c>.manifest</c> and its <c>.checksums</c>
/// (held as one UTF-8 byte array: about 31 bytes a segment), to GetObject (byte ranges included, as S3 answers them)
/// and GetObjectMetadata. Every other call would go to a closed port.
/// </summary>
internal sealed class SyntheticArchiveS3 : AmazonS3Client
{
    private readonly BroadcastLocation _location;
    private readonly byte[] _checksums;
    private readonly byte[] _manifest;

    public SyntheticArchiveS3(BroadcastLocation location, long segments)
        : base(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
    {
        _location = location;
        Segments = segments;
        using var index = new MemoryStream();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        index.Write(Encoding.UTF8.GetBytes(ChecksumIndexCodec.Header));
        long offset = 0;
        var body = new byte[8];
        for (long i = 1; i <= segments; i++)
        {
            var size = Fill(i, body);
            sha.AppendData(body, 0, size);
            index.Write(Encoding.UTF8.GetBytes(ChecksumIndexCodec.FormatLine(new SegmentInfo(i, offset, size, SegmentChecksum.Of(body.AsSpan(0, size))))));
            offset += size;
        }
        _checksums = index.ToArray();
        Bytes = offset;
        StreamSha256 = Convert.ToHexStringLower(sha.GetHashAndReset());
        Manifest = new Manifest
        {
            FormatVersion = 1,
            Completed = true,
            State = BroadcastState.Complete,
            StreamSha256 = StreamSha256,
            ChecksumAlgorithm = SegmentChecksum.Algorithm,
        }.WithStored(segments, offset, Fill(segments, body));
        _manifest = Encoding.UTF8.GetBytes(ManifestCodec.Format(Manifest));
    }

    public long Segments { get; }

    public long Bytes { get; }

    public string StreamSha256 { get; }

    public Manifest Manifest { get; }

    /// <summary>The size of the <c>.checksums</c> object.</summary>
    public long IndexBytes => _checksums.LongLength;

    /// <summary>Segment <paramref name="index"/>'s bytes, written to <paramref name="body"/>; returns how many (1–8).</summary>
    public static int Fill(long index, Span<byte> body)
    {
        var size = (int)(1 + (index % 8));
        for (var j = 0; j < size; j++)
        {
            body[j] = (byte)((index * 131) + (j * 7));
        }
        return size;
    }

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
            return _checksums;
        }
        if (key == KeyLayout.ManifestKey(_location.Prefix))
        {
            return _manifest;
        }
        if (KeyLayout.TryParseSegmentIndex(_location.Prefix, key, out var index) && index >= 1 && index <= Segments)
        {
            var body = new byte[8];
            return body[..Fill(index, body)];
        }
        throw new AmazonS3Exception("The specified key does not exist.", ErrorType.Sender, "NoSuchKey", "req", HttpStatusCode.NotFound);
    }
}
