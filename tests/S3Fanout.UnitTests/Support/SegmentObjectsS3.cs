using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// An S3 client that serves segment objects from memory to GetObject, byte ranges included, the way S3 answers them
/// (206 with Content-Range); every other call would go to a closed port. <see cref="Fault"/> may replace an answer.
/// </summary>
internal sealed class SegmentObjectsS3()
    : AmazonS3Client(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
{
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _gets = new(StringComparer.Ordinal);

    /// <summary>Called with the key and the how-many-th GET of it (from 1); a non-null stream is served as the body instead.</summary>
    public Func<string, int, Stream?>? Fault { get; set; }

    /// <summary>Keys whose GET is refused with 403 AccessDenied.</summary>
    public ConcurrentDictionary<string, bool> Denied { get; } = new(StringComparer.Ordinal);

    /// <summary>Every GET's key and byte range ("0-999"; "" for a whole-object GET), in order.</summary>
    public ConcurrentQueue<(string Key, string Range)> Requests { get; } = new();

    public void Store(string key, byte[] body) => _objects[key] = body;

    public int GetsOf(string key) => _gets.GetValueOrDefault(key);

    public override Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        var attempt = _gets.AddOrUpdate(request.Key, 1, (_, n) => n + 1);
        Requests.Enqueue((request.Key, request.ByteRange is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{request.ByteRange.Start}-{request.ByteRange.End}")));
        if (Denied.ContainsKey(request.Key))
        {
            throw new AmazonS3Exception("Access Denied", ErrorType.Sender, "AccessDenied", "req", HttpStatusCode.Forbidden);
        }
        if (!_objects.TryGetValue(request.Key, out var body))
        {
            throw new AmazonS3Exception("The specified key does not exist.", ErrorType.Sender, "NoSuchKey", "req", HttpStatusCode.NotFound);
        }
        // "bytes=0-" (an open range, sent when the size is not known yet) runs to the end of the object.
        var openEnded = request.ByteRange?.FormattedByteRange?.EndsWith('-') == true;
        var (first, last) = request.ByteRange is null ? (0L, body.Length - 1L)
            : openEnded ? (0L, body.Length - 1L)
            : (request.ByteRange.Start, Math.Min(request.ByteRange.End < 0 ? long.MaxValue : request.ByteRange.End, body.Length - 1L));
        var length = Math.Max(0, last - first + 1);
        var response = new GetObjectResponse
        {
            ResponseStream = Fault?.Invoke(request.Key, attempt) ?? new MemoryStream(body, (int)first, (int)length),
            ContentLength = length,
            ETag = "\"not-an-md5\"",
        };
        if (request.ByteRange is not null)
        {
            response.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/{body.Length}");
        }
        return Task.FromResult(response);
    }
}
