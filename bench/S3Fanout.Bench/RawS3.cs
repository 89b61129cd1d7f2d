using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace S3Fanout.Bench;

/// <summary>
/// The limit: plain AWSSDK.S3 PutObject/GetObject of the stream's 8 MiB segments, 4 in flight, no pipeline, with the
/// same client settings as the product (src/Shared/Aws/AwsConnection.cs): path-style, standard retries with 2 transport
/// retries, no SDK body checksums, 8 connections per server. The request shapes are <see cref="PutShape"/> and
/// <see cref="GetShape"/>; the limit of a round is the fastest shape measured in it (see Stages.LimitAsync).
/// </summary>
internal sealed class RawS3 : IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly AmazonSQSClient _sqs;

    public RawS3(Uri endpoint)
    {
        var credentials = new BasicAWSCredentials("bench", "bench");
        var s3Config = new AmazonS3Config { ForcePathStyle = true };
        _s3 = new AmazonS3Client(credentials, Configure(s3Config, endpoint));
        _sqs = new AmazonSQSClient(credentials, Configure(new AmazonSQSConfig(), endpoint));
    }

    private static T Configure<T>(T config, Uri endpoint) where T : ClientConfig
    {
        config.RegionEndpoint = RegionEndpoint.USEast1;
        config.ServiceURL = endpoint.ToString();
        config.AuthenticationRegion = "us-east-1";
        config.RetryMode = RequestRetryMode.Standard;
        config.MaxErrorRetry = 2;
        config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
        config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        config.MaxConnectionsPerServer = 8;
        return config;
    }

    /// <summary>The S3 client, for writers that need the SDK itself (the long-broadcast stage's synthetic archive).</summary>
    public IAmazonS3 Client => _s3;

    public Task CreateBucketAsync(string bucket) => _s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

    /// <summary>PUTs <paramref name="file"/>'s first <paramref name="size"/> bytes as 8 MiB objects under prefix/, 4 at once.</summary>
    public async Task PutSegmentsAsync(string bucket, string prefix, string file, long size, PutShape shape)
    {
        var segment = BenchOptions.SegmentBytes;
        var count = (int)((size + segment - 1) / segment);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, BenchOptions.Workers).Select(_ => Task.Run(async () =>
        {
            var buffer = GC.AllocateUninitializedArray<byte>((int)segment);
            using var handle = File.OpenHandle(file);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var offset = i * segment;
                var length = (int)Math.Min(segment, size - offset);
                ReadExactly(handle, buffer.AsSpan(0, length), offset);
                using var body = new MemoryStream(buffer, 0, length, writable: false);
                var request = new PutObjectRequest { BucketName = bucket, Key = Key(prefix, i), InputStream = body, AutoCloseStream = false };
                if (shape.Fast)
                {
                    // The publisher's settings since a7c5c23: a known-length body signed whole, not
                    // aws-chunked; and no MD5 stream of the SDK's own to compare with the ETag.
                    request.UseChunkEncoding = false;
                    request.DisableDefaultChecksumValidation = true;
                }
                if (shape.Crc64)
                {
                    // As the publisher does by default: S3 checks the body against x-amz-checksum-crc64nvme (base64 of
                    // the big-endian CRC-64/NVME) instead of Content-MD5.
                    var crc = new System.IO.Hashing.Crc64(System.IO.Hashing.Crc64ParameterSet.Nvme);
                    crc.Append(buffer.AsSpan(0, length));
                    request.ChecksumCRC64NVME = Convert.ToBase64String(crc.GetCurrentHash());
                }
                if (shape.ContentMd5)
                {
                    // As the product does (Content-MD5 is S3's own integrity check on the body).
                    using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
                    md5.AppendData(buffer, 0, length);
                    request.MD5Digest = Convert.ToBase64String(md5.GetHashAndReset());
                }
                await _s3.PutObjectAsync(request).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
    }

    /// <summary>GETs the objects <see cref="PutSegmentsAsync"/> stored, 4 at once, reading every body to its end (into <paramref name="sink"/> if given).</summary>
    public async Task<long> GetSegmentsAsync(string bucket, string prefix, long size, GetShape shape, PipeSink? sink = null)
    {
        var segment = BenchOptions.SegmentBytes;
        var count = (int)((size + segment - 1) / segment);
        var next = -1;
        long total = 0;
        await Task.WhenAll(Enumerable.Range(0, BenchOptions.Workers).Select(_ => Task.Run(async () =>
        {
            var buffer = GC.AllocateUninitializedArray<byte>(1024 * 1024);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var request = new GetObjectRequest { BucketName = bucket, Key = Key(prefix, i) };
                if (shape == GetShape.WholeObjectRange)
                {
                    // The whole object as a byte range (as s3fanout-subscribe since a7c5c23): the SDK validates only
                    // whole-object responses against an MD5 ETag, so this skips its second pass over every byte.
                    request.ByteRange = new ByteRange(0, Math.Min(segment, size - (i * segment)) - 1);
                }
                using var response = await _s3.GetObjectAsync(request).ConfigureAwait(false);
                int n;
                while ((n = await response.ResponseStream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    Interlocked.Add(ref total, n);
                    if (sink is not null)
                    {
                        await sink.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                    }
                }
            }
        }))).ConfigureAwait(false);
        if (total != size)
        {
            throw new InvalidOperationException($"raw GET read {total} bytes, expected {size}");
        }
        return total;
    }

    /// <summary>
    /// `S3Fanout.Bench raw-get`: the segments of the completed broadcast under prefix/ (keys whose last part is all
    /// digits, in order), each fetched whole as a byte range, 4 in flight, written in order to <paramref name="output"/>.
    /// No checks: this is the fan-out limit, what a reader with no pipeline of its own can do.
    /// </summary>
    public async Task StreamSegmentsAsync(string bucket, string prefix, Stream output)
    {
        var segments = new List<(string Key, long Size)>();
        string? token = null;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/", ContinuationToken = token }).ConfigureAwait(false);
            segments.AddRange((page.S3Objects ?? [])
                .Where(o => o.Key[(prefix.Length + 1)..] is { Length: > 0 } rest && rest.All(char.IsAsciiDigit))
                .Select(o => (o.Key, o.Size ?? 0)));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        segments.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        using var window = new SemaphoreSlim(BenchOptions.Workers);
        var fetches = new Queue<Task<byte[]>>();
        async Task<byte[]> FetchAsync((string Key, long Size) segment)
        {
            await window.WaitAsync().ConfigureAwait(false);
            var body = GC.AllocateUninitializedArray<byte>((int)segment.Size);
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = segment.Key, ByteRange = new ByteRange(0, segment.Size - 1) }).ConfigureAwait(false);
            await response.ResponseStream.ReadExactlyAsync(body).ConfigureAwait(false);
            return body;
        }
        foreach (var segment in segments)
        {
            fetches.Enqueue(FetchAsync(segment));
            if (fetches.Count > BenchOptions.Workers)
            {
                await WriteNextAsync().ConfigureAwait(false);
            }
        }
        while (fetches.Count > 0)
        {
            await WriteNextAsync().ConfigureAwait(false);
        }
        await output.FlushAsync().ConfigureAwait(false);

        async Task WriteNextAsync()
        {
            var body = await fetches.Dequeue().ConfigureAwait(false);
            window.Release();
            await output.WriteAsync(body).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes everything under prefix/ (the emulator keeps objects in RAM).</summary>
    public async Task DeletePrefixAsync(string bucket, string prefix)
    {
        string? token = null;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/", ContinuationToken = token }).ConfigureAwait(false);
            var keys = (page.S3Objects ?? []).Select(o => new KeyVersion { Key = o.Key }).ToList();
            if (keys.Count > 0)
            {
                await _s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = keys, Quiet = true }).ConfigureAwait(false);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    /// <summary>Subscriber queues of <paramref name="bucket"/>'s channel (s3fanout-&lt;bucket&gt;-…), to know when subscribers listen.</summary>
    public async Task<int> CountSubscriberQueuesAsync(string bucket)
    {
        var response = await _sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = "s3fanout-" + bucket.Replace('.', '-') + "-" }).ConfigureAwait(false);
        return response.QueueUrls?.Count ?? 0;
    }

    private static string Key(string prefix, int i) => $"{prefix}/{i + 1:D15}";

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(handle, buffer, offset);
            if (n == 0)
            {
                throw new EndOfStreamException("the data file is shorter than the stream size");
            }
            buffer = buffer[n..];
            offset += n;
        }
    }

    public void Dispose()
    {
        _s3.Dispose();
        _sqs.Dispose();
    }
}

/// <summary>How a raw PUT is made.</summary>
/// <param name="Fast">UseChunkEncoding = false and DisableDefaultChecksumValidation = true (else the SDK's defaults:
/// aws-chunked SigV4 framing over HTTP, and the SDK's MD5 stream compared with the ETag).</param>
/// <param name="ContentMd5">send Content-MD5, computed here, as the publisher does with --checksum md5.</param>
/// <param name="Crc64">send x-amz-checksum-crc64nvme, computed here, as the publisher does by default.</param>
internal readonly record struct PutShape(bool Fast, bool ContentMd5, bool Crc64 = false)
{
    /// <summary>The fastest settings (the publisher's since a7c5c23), no integrity work beyond SigV4's payload hash.</summary>
    public static PutShape Fastest => new(Fast: true, ContentMd5: false);

    /// <summary>The SDK's defaults (aws-chunked over HTTP, the SDK's MD5 stream): the limit's shape before a7c5c23.</summary>
    public static PutShape SdkDefault => new(Fast: false, ContentMd5: false);
}

/// <summary>How a raw GET is made.</summary>
internal enum GetShape
{
    /// <summary>GetObject of the whole object, SDK defaults (it hashes the body with MD5 to compare with the ETag).</summary>
    WholeObject,

    /// <summary>GetObject with ByteRange covering the whole object (no SDK MD5 pass): the subscriber's shape since a7c5c23.</summary>
    WholeObjectRange,
}
