using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// The one place that finds, reads and deletes broadcasts in S3. Every read, listing and deletion is retried with
/// -t attempts and ends, when it cannot succeed, in one <see cref="FatalException"/> with the documented exit code.
/// Writes are not retried here: the publisher retries them as part of its announce steps.
/// </summary>
/// <remarks>
/// Listings follow S3's key order: ListObjectsV2 returns keys in ascending UTF-8 binary order, at most 1,000 per
/// page, and StartAfter may be any key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
/// Pages are fetched with the SDK's paginator
/// (https://docs.aws.amazon.com/sdk-for-net/latest/developer-guide/paginators.html); a failed listing resumes after
/// the last key it handled, so a retry repeats no work.
/// </remarks>
internal sealed class BroadcastStore
{
    /// <summary>DeleteObjects takes at most 1,000 keys per request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).</summary>
    public const int DeleteBatchSize = 1000;

    /// <summary>Keys of segments 1 to this index start with '0'; nothing else under a broadcast may (<see cref="KeyLayout"/>).</summary>
    private const long LastZeroLedIndex = 99_999_999_999_999;

    private const string ManifestSuffix = "/" + KeyLayout.ManifestName;
    private const int MaxErrorsLogged = 20;

    private readonly IAmazonS3 _s3;
    private readonly StepRetry _calls;
    private readonly StepRetry _listings;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _pageSize;

    /// <param name="requestTimeout">Limit of one attempt of a call, and of the wait for one LIST page.</param>
    /// <param name="pageSize">Keys per LIST page: S3's maximum of 1,000 unless a test wants many pages cheaply.</param>
    public BroadcastStore(IAmazonS3 s3, int tries, TimeSpan requestTimeout, ILogger<BroadcastStore> logger, TimeProvider? time = null, int pageSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 1000);
        _s3 = s3;
        _time = time ?? TimeProvider.System;
        _calls = new StepRetry(tries, logger, attemptTimeout: requestTimeout, time: _time, slowDowns: SlowDownGovernor.Shared);
        // A listing may rightly take many pages: each page is bounded instead (see ScanAsync).
        _listings = new StepRetry(tries, logger, attemptTimeout: Timeout.InfiniteTimeSpan, time: _time, slowDowns: SlowDownGovernor.Shared);
        _requestTimeout = requestTimeout;
        _logger = logger;
        _pageSize = pageSize;
    }

    /// <summary>The store on a command's connection, with its -t and --request-timeout.</summary>
    public static BroadcastStore Open(AwsConnection aws, ILoggerFactory loggers) =>
        new(aws.S3, aws.Settings.Tries, aws.Settings.RequestTimeout, loggers.CreateLogger<BroadcastStore>());

    /// <summary>
    /// The broadcasts under a key prefix, in key order: every <c>NAME/.manifest</c> names one. A broadcast's segments
    /// sort after its manifest ('.' &lt; '0'), so when a page ends inside them the listing jumps past the last key
    /// that starts with '0' instead of paging through every segment: about one LIST per broadcast, whatever its
    /// length. Nested broadcasts (<c>NAME/sub/.manifest</c>) are found too, including names that start with a digit.
    /// </summary>
    public async Task<IReadOnlyList<FoundBroadcast>> FindAsync(string bucket, string prefix, CancellationToken ct)
    {
        var found = new List<FoundBroadcast>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        await ScanAsync(bucket, prefix, obj =>
            {
                if (obj.Key.Length > ManifestSuffix.Length && obj.Key.EndsWith(ManifestSuffix, StringComparison.Ordinal))
                {
                    var name = obj.Key[..^ManifestSuffix.Length];
                    names.Add(name);
                    found.Add(new FoundBroadcast(name, obj.LastModified));
                }
            },
            last => SegmentOwner(last, out var index) is { } owner && names.Contains(owner) && index < LastZeroLedIndex
                ? KeyLayout.SegmentKey(owner, LastZeroLedIndex)
                : null,
            $"cannot list s3://{bucket}/{prefix}", ct).ConfigureAwait(false);
        return found;
    }

    /// <summary>
    /// The broadcast's own keys: its segments, <c>.checksums</c> and <c>.manifest</c>. With <paramref name="withOthers"/>
    /// every other key under <c>NAME/</c> is listed too (nested broadcasts, unrelated objects); without, only the
    /// keys that start with <c>NAME/.</c> or <c>NAME/0</c> are listed, so the cost does not grow with what is nested below.
    /// </summary>
    public async Task<BroadcastKeys> ListKeysAsync(BroadcastLocation location, bool withOthers, CancellationToken ct)
    {
        var segments = new List<S3Object>();
        var replicas = new List<S3Object>();
        var others = new List<S3Object>();
        S3Object? checksums = null, manifest = null;
        void Sort(S3Object obj)
        {
            if (KeyLayout.TryParseSegmentIndex(location.Prefix, obj.Key, out _))
            {
                segments.Add(obj);
            }
            else if (KeyLayout.TryParseReplicaKey(location.Prefix, obj.Key, out _, out _))
            {
                replicas.Add(obj);
            }
            else if (obj.Key == KeyLayout.ManifestKey(location.Prefix))
            {
                manifest = obj;
            }
            else if (obj.Key == KeyLayout.ChecksumsKey(location.Prefix))
            {
                checksums = obj;
            }
            else if (withOthers)
            {
                others.Add(obj);
            }
        }
        var what = $"cannot list {location}/";
        var prefixes = withOthers ? new[] { location.Prefix + "/" } : new[] { location.Prefix + "/.", location.Prefix + "/0" };
        foreach (var prefix in prefixes)
        {
            await ScanAsync(location.Bucket, prefix, Sort, jump: null, what, ct).ConfigureAwait(false);
        }
        return new BroadcastKeys(location, segments, checksums, manifest, others) { Replicas = replicas };
    }

    /// <summary>
    /// Deletes the broadcast's own keys with DeleteObjects, 1,000 at a time: its read replicas, its segments, then <c>.checksums</c>,
    /// then <c>.manifest</c>, so an interrupted deletion leaves a broadcast that <c>ls</c> still shows and that can be
    /// deleted again. A batch is retried with -t attempts, resending only the keys S3 reported as not deleted.
    /// </summary>
    public async Task DeleteAsync(BroadcastKeys keys, CancellationToken ct)
    {
        string[][] groups =
        [
            [.. keys.Replicas.Select(o => o.Key)],
            [.. keys.Segments.Select(o => o.Key)],
            keys.Checksums is { } c ? [c.Key] : [],
            keys.Manifest is { } m ? [m.Key] : [],
        ];
        foreach (var batch in groups.SelectMany(g => g.Chunk(DeleteBatchSize)))
        {
            await DeleteBatchAsync(keys.Location, batch, ct).ConfigureAwait(false);
            _logger.LogInformation("Deleted {Count} objects of {Broadcast}", batch.Length, keys.Location);
        }
    }

    /// <summary>
    /// The manifest, or null when there is none (yet). A 403 throws <see cref="MissingOrDeniedException"/> (exit 4): the
    /// manifest may be missing or unreadable, and only the caller can tell which is likelier.
    /// </summary>
    public async Task<Manifest?> TryReadManifestAsync(BroadcastLocation location, CancellationToken ct)
    {
        var key = KeyLayout.ManifestKey(location.Prefix);
        // A malformed manifest ends the read at once (exit 7, not retried): S3 returns the same bytes every time.
        return await RetryAsync(async token => await TryReadTextAsync(location.Bucket, key, ManifestCodec.MaxBytes, deniedIsMissing: false, token).ConfigureAwait(false) is { } text
                ? Parse(location, KeyLayout.ManifestName, text, ManifestCodec.Parse)
                : null,
            $"cannot read {location}/{KeyLayout.ManifestName}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The checksum index of a completed broadcast, or null when it has none (an s3pipe2 archive). A 403 counts as none:
    /// without s3:ListBucket an s3pipe2 archive's missing index answers 403, and a reader without the index checks each
    /// segment against its object metadata instead. The index is read through once here, a piece at a time, to check
    /// every line and count them (a malformed one is exit 7 before any segment is read); nothing of it is kept, so its
    /// length is not limited (about 40 bytes a segment: 80 MB for 2 million segments).
    /// </summary>
    public async Task<ChecksumIndex?> TryOpenChecksumsAsync(BroadcastLocation location, CancellationToken ct)
    {
        var head = await HeadChecksumsAsync(location, ct).ConfigureAwait(false);
        if (head is null)
        {
            return null;
        }
        var index = new ChecksumIndex(this, location, head.ETag, head.ContentLength);
        using var reader = index.OpenReader();
        index.Count = await reader.CountAsync(ct).ConfigureAwait(false);
        return index;
    }

    /// <summary>
    /// Bytes <paramref name="from"/>… of <c>NAME/<paramref name="name"/></c> into <paramref name="piece"/>, by a ranged GET
    /// with <c>If-Match</c> of the ETag first seen, so an object replaced meanwhile is a 412 (exit 7), never a mix of two
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html: Range "downloads the specified byte range of
    /// an object"; If-Match "return the object only if its entity tag (ETag) is the same as the one specified in this
    /// header; otherwise, return a 412 Precondition Failed error"). Retried as every read of this store.
    /// </summary>
    public async Task<int> ReadPieceAsync(BroadcastLocation location, string name, string? etag, long from, long length, byte[] piece, CancellationToken ct)
    {
        var count = (int)(Math.Min(length, from + piece.Length) - from);
        await ReadRangeAsync(location, name, etag, from, piece.AsMemory(0, count), ct).ConfigureAwait(false);
        return count;
    }

    /// <summary>Exactly <c>into.Length</c> bytes from <paramref name="from"/> on, as <see cref="ReadPieceAsync"/> reads them.</summary>
    public Task ReadRangeAsync(BroadcastLocation location, string name, string? etag, long from, Memory<byte> into, CancellationToken ct)
    {
        var key = location.Prefix + "/" + name;
        return RetryAsync(async token =>
        {
            try
            {
                using var response = await _s3.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = location.Bucket,
                    Key = key,
                    ByteRange = new ByteRange(from, from + into.Length - 1),
                    EtagToMatch = etag,
                }, token).ConfigureAwait(false);
                await response.ResponseStream.ReadExactlyAsync(into, token).ConfigureAwait(false);
                return into.Length;
            }
            catch (Amazon.Runtime.AmazonServiceException e) when (AwsErrors.Classify(e).Kind == FailureKind.PreconditionFailed || Absence(e) is not null)
            {
                throw new FatalException(ExitCodes.Integrity, $"s3://{location.Bucket}/{key} was replaced or deleted while it was read ({AwsErrors.Describe(e)})", e);
            }
        }, $"cannot read {location}/{name}", ct);
    }

    /// <summary>
    /// Whether an object is at <paramref name="bucket"/>/<paramref name="key"/> (HEAD). Without s3:ListBucket S3 answers
    /// a missing key 403, which counts as no here: the caller's conditional write (If-None-Match) still decides.
    /// </summary>
    public Task<bool> ObjectExistsAsync(string bucket, string key, CancellationToken ct) => RetryAsync(async token =>
    {
        try
        {
            await _s3.GetObjectMetadataAsync(bucket, key, token).ConfigureAwait(false);
            return true;
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (Absence(e) is not null)
        {
            return false;
        }
    }, $"cannot look at s3://{bucket}/{key}", ct);

    /// <summary>Whether the broadcast has a <c>.checksums</c> index, without reading it (a 403 counts as no, as in <see cref="TryOpenChecksumsAsync"/>).</summary>
    public async Task<bool> HasChecksumsAsync(BroadcastLocation location, CancellationToken ct) =>
        await HeadChecksumsAsync(location, ct).ConfigureAwait(false) is not null;

    private Task<GetObjectMetadataResponse?> HeadChecksumsAsync(BroadcastLocation location, CancellationToken ct) =>
        RetryAsync(async token =>
        {
            try
            {
                return await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = location.Bucket, Key = KeyLayout.ChecksumsKey(location.Prefix) }, token).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (Absence(e) is not null)
            {
                return null;
            }
        }, $"cannot read {location}/{KeyLayout.ChecksumsName}", ct);

    /// <summary>Writes the manifest's text under <paramref name="condition"/>; returns the ETag S3 answered.</summary>
    public Task<string?> WriteManifestAsync(BroadcastLocation location, string text, PutSettings put, PutCondition? condition, CancellationToken ct) =>
        WriteTextAsync(location.Bucket, KeyLayout.ManifestKey(location.Prefix), text, put, condition, ct);

    /// <summary>Writes the checksum index from <paramref name="body"/> (read from its start, however long) under <paramref name="condition"/>.</summary>
    public Task<string?> WriteChecksumsAsync(BroadcastLocation location, Stream body, PutSettings put, PutCondition? condition, CancellationToken ct) =>
        WriteStreamAsync(location.Bucket, KeyLayout.ChecksumsKey(location.Prefix), body, put, condition, ct);

    /// <summary>
    /// Whether <c>NAME/<paramref name="name"/></c> holds exactly <paramref name="length"/> bytes whose MD5 is
    /// <paramref name="md5"/>, read as a stream (no copy kept): how a refused conditional write of <c>.checksums</c>
    /// tells its own earlier attempt from another publisher's index. False when there is none (one attempt, no retry).
    /// </summary>
    public async Task<bool> HoldsAsync(BroadcastLocation location, string name, long length, byte[] md5, CancellationToken ct)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = location.Prefix + "/" + name }, ct).ConfigureAwait(false);
            if (response.ContentLength != length)
            {
                return false;
            }
            var (storedMd5, _, storedLength) = await HashAsync(response.ResponseStream, ct).ConfigureAwait(false);
            return storedLength == length && storedMd5.AsSpan().SequenceEqual(md5);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (Absence(e) is not null)
        {
            return false;
        }
    }

    /// <summary>
    /// The stored text of <c>.manifest</c> or <c>.checksums</c> with its ETag, or null when there is none: what a
    /// conditional write that was refused compares with what it sent (one attempt, no retry: the caller's step retries).
    /// </summary>
    public async Task<(string Text, string? ETag)?> TryReadStoredTextAsync(BroadcastLocation location, string name, CancellationToken ct)
    {
        var key = location.Prefix + "/" + name;
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = key }, ct).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return (await reader.ReadToEndAsync(ct).ConfigureAwait(false), response.ETag);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (Absence(e) is { } absence)
        {
            // A 403 here cannot be "missing": the writer may read what it writes (s3:GetObject), so it is a denial.
            return absence == FailureKind.NotFound ? null : throw AwsErrors.ToFatal(e, $"cannot read {location}/{name} back");
        }
    }

    /// <summary>
    /// The one retry of this store: -t attempts of <paramref name="step"/>, then one <see cref="FatalException"/>
    /// that starts with <paramref name="what"/>. Each attempt of a call is bounded by the request timeout; a listing's
    /// attempt is not (its pages are).
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> step, string what, CancellationToken ct, bool listing = false)
    {
        try
        {
            return await (listing ? _listings : _calls).ExecuteAsync(async token => await step(token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw AwsErrors.ToFatal(e, what);
        }
    }

    /// <summary>
    /// Hands every key under <paramref name="prefix"/> to <paramref name="visit"/>, in key order. When a page ends
    /// with more to come, <paramref name="jump"/> may name a key to continue after instead of the next page.
    /// </summary>
    /// <remarks>
    /// A failed attempt starts again after the last key handled. A page that takes longer than the request timeout
    /// fails the attempt, and -t attempts in a row that get no further end the listing; one that got further earns
    /// the listing a fresh -t, so a long listing is not ended by failures spread over many pages.
    /// </remarks>
    private async Task ScanAsync(string bucket, string prefix, Action<S3Object> visit, Func<string, string?>? jump, string what, CancellationToken ct)
    {
        string? after = null; // the last key handled, or the jump target: where a retry or a jump starts again
        while (true)
        {
            var start = after;
            try
            {
                await RetryAsync(token => ScanFromAsync(bucket, prefix, visit, jump, () => after, key => after = key, token), what, ct, listing: true).ConfigureAwait(false);
                return;
            }
            catch (FatalException) when (after != start)
            {
                _logger.LogInformation("Listing s3://{Bucket}/{Prefix} got as far as {Key} before it failed; continuing from there", bucket, prefix, after);
            }
        }
    }

    private async Task<bool> ScanFromAsync(
        string bucket, string prefix, Action<S3Object> visit, Func<string, string?>? jump, Func<string?> after, Action<string> handled, CancellationToken ct)
    {
        while (true)
        {
            var from = after();
            var first = true;
            var jumped = await ProgressWatchdog.RunAsync(_requestTimeout, _time, $"a LIST page of s3://{bucket}/{prefix}", async watchdog =>
            {
                var pages = _s3.Paginators.ListObjectsV2(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, StartAfter = from, MaxKeys = _pageSize });
                await foreach (var page in pages.Responses.WithCancellation(watchdog.Token).ConfigureAwait(false))
                {
                    watchdog.Progress();
                    var objects = page.S3Objects ?? [];
                    if (first && from is not null && objects.Count > 0 && string.CompareOrdinal(objects[0].Key, from) <= 0)
                    {
                        // Without StartAfter a jump would loop forever.
                        throw new FatalException(ExitCodes.Transfer, $"the endpoint ignored start-after when listing s3://{bucket}/{prefix}");
                    }
                    first = false;
                    foreach (var obj in objects)
                    {
                        visit(obj);
                        handled(obj.Key);
                    }
                    if (page.IsTruncated == true && objects.Count > 0 && jump?.Invoke(objects[^1].Key) is { } target)
                    {
                        handled(target);
                        return true;
                    }
                }
                return false;
            }, ct).ConfigureAwait(false);
            if (!jumped)
            {
                return true;
            }
        }
    }

    private async Task DeleteBatchAsync(BroadcastLocation location, string[] batch, CancellationToken ct)
    {
        var pending = batch.ToList();
        await RetryAsync(async token =>
        {
            var response = await _s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = location.Bucket,
                Objects = pending.Select(k => new KeyVersion { Key = k }).ToList(),
                // Quiet: the response lists only the keys that could not be deleted; a key that is already gone counts as deleted.
                Quiet = true,
            }, token).ConfigureAwait(false);
            var errors = response.DeleteErrors ?? [];
            if (errors.Count == 0)
            {
                return true;
            }
            foreach (var e in errors.Take(MaxErrorsLogged))
            {
                _logger.LogWarning("Could not delete s3://{Bucket}/{Key}: {Code} {Message}", location.Bucket, e.Key, e.Code, e.Message);
            }
            if (errors.Count > MaxErrorsLogged)
            {
                _logger.LogWarning("Could not delete {Count} more objects of {Broadcast}", errors.Count - MaxErrorsLogged, location);
            }
            var failed = errors.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            pending.RemoveAll(k => !failed.Contains(k));
            // Raised as the service error it is, so that retry and exit code follow the error code (AccessDenied: neither retried nor exit 6).
            var first = errors[0];
            throw new AmazonS3Exception($"s3://{location.Bucket}/{first.Key}: {first.Code} {first.Message}" + (errors.Count > 1 ? $" (and {errors.Count - 1} more)" : ""))
            {
                ErrorCode = first.Code,
            };
        }, $"cannot delete the objects of {location}", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The one place this store decides that a key is not there: a 404 (also one whose error body could not be read
    /// whole, an AmazonUnmarshallingException) is <see cref="FailureKind.NotFound"/>, except for a missing bucket; a 403,
    /// which S3 gives a principal without s3:ListBucket for a missing key, is <see cref="FailureKind.MissingOrDenied"/>
    /// (<see cref="AwsErrors.ClassifyRead"/>). Anything else is null: a failure, not an absence.
    /// </summary>
    private static FailureKind? Absence(Amazon.Runtime.AmazonServiceException e) =>
        e.ErrorCode != "NoSuchBucket" && AwsErrors.ClassifyRead(e).Kind is var kind and (FailureKind.NotFound or FailureKind.MissingOrDenied) ? kind : null;

    private async Task<string?> TryReadTextAsync(string bucket, string key, long maxBytes, bool deniedIsMissing, CancellationToken ct)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, ct).ConfigureAwait(false);
            if (response.ContentLength > maxBytes)
            {
                throw new FatalException(ExitCodes.Integrity, $"s3://{bucket}/{key} is {response.ContentLength} bytes; at most {maxBytes} expected");
            }
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (Absence(e) is { } absence)
        {
            return absence == FailureKind.MissingOrDenied && !deniedIsMissing
                ? throw new MissingOrDeniedException($"s3://{bucket}/{key}: {AwsErrors.ClassifyRead(e).Line}", e)
                : null;
        }
    }

    private static T Parse<T>(BroadcastLocation location, string name, string text, Func<string, T> parse)
    {
        try
        {
            return parse(text);
        }
        catch (ManifestException e)
        {
            throw new FatalException(ExitCodes.Integrity, $"{location}/{name} is malformed: {e.Message}", e);
        }
    }

    /// <summary>A text object, stored the way segments are (<see cref="PlainPut"/>). Not retried here: the publisher retries its announce steps.</summary>
    private async Task<string?> WriteTextAsync(string bucket, string key, string text, PutSettings put, PutCondition? condition, CancellationToken ct)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
        return await WriteStreamAsync(bucket, key, body, put, condition, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A text object from a seekable stream of any length, hashed in one pass (CRC-64/NVME, and MD5 where sent) and sent from its
    /// start, so neither the text nor a copy of it is held in memory.
    /// </summary>
    private async Task<string?> WriteStreamAsync(string bucket, string key, Stream body, PutSettings put, PutCondition? condition, CancellationToken ct)
    {
        body.Position = 0;
        // The MD5 only where this PUT sends Content-MD5 (PlainPut computes it itself if the endpoint turns out to need it).
        var sendsMd5 = put.SendsMd5; // read once: another PUT's fallback may change it meanwhile
        var (_, crc64, md5) = await StreamDigest.ReadAsync(body, sendsMd5 ? HashAlgorithmName.MD5 : null, ct).ConfigureAwait(false);
        body.Position = 0;
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, AutoCloseStream = false, ContentType = "text/plain; charset=utf-8" };
        return await PlainPut.PutAsync(_s3, request, sendsMd5 ? md5 : null, crc64, put, $"s3://{bucket}/{key}", ct, condition).ConfigureAwait(false);
    }

    /// <summary>MD5, CRC-64/NVME and length of what is left of <paramref name="body"/>, read once.</summary>
    public static async Task<(byte[] Md5, string Crc64, long Length)> HashAsync(Stream body, CancellationToken ct)
    {
        var (length, crc64, md5) = await StreamDigest.ReadAsync(body, HashAlgorithmName.MD5, ct).ConfigureAwait(false);
        return (md5, crc64, length);
    }

    /// <summary>The broadcast a segment key belongs to (<c>NAME</c> of <c>NAME/000000000000042</c>), or null.</summary>
    private static string? SegmentOwner(string key, out long index)
    {
        index = 0;
        var slash = key.LastIndexOf('/');
        return slash > 0 && KeyLayout.TryParseSegmentIndex(key[..slash], key, out index) ? key[..slash] : null;
    }
}
