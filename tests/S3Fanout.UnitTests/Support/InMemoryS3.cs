using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// An S3 client that keeps PutObject bodies in memory and serves them to GetObject (404 for anything else);
/// every other call would go to a closed port. Enough for the manifest store, whose reads and writes it records.
/// </summary>
internal sealed class InMemoryS3(TimeProvider time, ConcurrentQueue<string>? journal = null)
    : AmazonS3Client(new BasicAWSCredentials("a", "b"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true })
{
    private readonly ConcurrentDictionary<string, string> _objects = new(StringComparer.Ordinal);

    /// <summary>Thrown by the next GetObject calls, in order, before they succeed again.</summary>
    public ConcurrentQueue<Exception> GetFailures { get; } = new();

    /// <summary>Thrown by the next PutObject calls, in order, before they succeed again.</summary>
    public ConcurrentQueue<Exception> PutFailures { get; } = new();

    /// <summary>The time of every GetObject call, on the provider this client was given.</summary>
    public ConcurrentQueue<DateTimeOffset> Gets { get; } = new();

    /// <summary>Every PutObject that succeeded, in order.</summary>
    public ConcurrentQueue<(string Key, string Body)> Puts { get; } = new();

    /// <summary>Every PutObject request that succeeded, as sent (framing, Content-MD5, SSE).</summary>
    public ConcurrentQueue<PutObjectRequest> PutRequests { get; } = new();

    /// <summary>When set, the ETag every PutObject answers instead of the body's MD5 (an endpoint that stored other bytes).</summary>
    public string? WrongEtag { get; set; }

    /// <summary>When set, the CRC-64/NVME every PutObject answers (<c>x-amz-checksum-crc64nvme</c>); null: none, as an endpoint without flexible checksums.</summary>
    public string? AnswerCrc64 { get; set; }

    public void Store(string key, string body) => _objects[key] = body;

    public string? TryGet(string key) => _objects.GetValueOrDefault(key);

    public static AmazonS3Exception ServerError() =>
        new("We encountered an internal error. Please try again.", ErrorType.Receiver, "InternalError", "req-1", HttpStatusCode.InternalServerError);

    public override Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        Gets.Enqueue(time.GetUtcNow());
        if (GetFailures.TryDequeue(out var failure))
        {
            throw failure;
        }
        if (!_objects.TryGetValue(request.Key, out var body))
        {
            throw new AmazonS3Exception("The specified key does not exist.", ErrorType.Sender, "NoSuchKey", "req-2", HttpStatusCode.NotFound);
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        return Task.FromResult(new GetObjectResponse { ResponseStream = new MemoryStream(bytes), ContentLength = bytes.Length });
    }

    public override Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
    {
        if (PutFailures.TryDequeue(out var failure))
        {
            throw failure;
        }
        var bytes = Body(request);
        var body = Encoding.UTF8.GetString(bytes);
        _objects[request.Key] = body;
        Puts.Enqueue((request.Key, body));
        PutRequests.Enqueue(request);
        journal?.Enqueue("put " + request.Key[(request.Key.LastIndexOf('/') + 1)..]);
        // As S3 answers a plain PutObject: the ETag is the body's MD5, and the encryption asked for is echoed.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(bytes);
        return Task.FromResult(new PutObjectResponse
        {
            ETag = WrongEtag ?? $"\"{Convert.ToHexStringLower(md5.GetHashAndReset())}\"",
            ServerSideEncryptionMethod = request.ServerSideEncryptionMethod,
            ChecksumCRC64NVME = AnswerCrc64,
        });
    }

    private static byte[] Body(PutObjectRequest request)
    {
        if (request.InputStream is null)
        {
            return Encoding.UTF8.GetBytes(request.ContentBody ?? "");
        }
        using var copy = new MemoryStream();
        request.InputStream.CopyTo(copy);
        return copy.ToArray();
    }
}
