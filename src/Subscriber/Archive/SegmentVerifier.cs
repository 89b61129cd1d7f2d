using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// Downloads segments 1..n with <c>workers</c> GETs in flight, checks each one's size and CRC64/NVME (against the
/// .checksums index, else its object metadata; s3pipe2 archives: its ETag MD5), and hashes the stream in order.
/// Nothing is written anywhere; at most workers + 1 segments are held (in memory, or under -p) at once.
/// Every bad segment is recorded; only failures that affect everything (access, endpoint) end the run early.
/// </summary>
internal sealed class SegmentVerifier(IAmazonS3 s3, BroadcastLocation location, StepRetry retry, SegmentBufferFactory buffers, int workers, ILogger logger)
{
    private const long MaxSegmentBytes = 5L * 1024 * 1024 * 1024;

    public sealed record Totals(
        long Verified, long Bytes, string? Sha256, IReadOnlyList<SegmentProblem> Bad, IReadOnlyList<SegmentProblem> Failed);

    private sealed record Outcome(long Index, string Key, SegmentBuffer? Data, long Size, long? RecordedOffset, SegmentProblem? Bad, SegmentProblem? Failed);

    private sealed record Fetched(SegmentBuffer Data, long Size, long? RecordedOffset);

    public async Task<Totals> RunAsync(long segments, IReadOnlyList<SegmentInfo>? index, bool legacy, CancellationToken ct)
    {
        using var slots = new SemaphoreSlim(workers + 1);
        var jobs = Channel.CreateBounded<long>(workers + 1);
        var results = Channel.CreateUnbounded<Outcome>();
        var pending = new Dictionary<long, Outcome>();
        var bad = new List<SegmentProblem>();
        var failed = new List<SegmentProblem>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long verified = 0, bytes = 0;
        var whole = true; // every segment so far verified, so the hash and the offsets mean something

        async Task DispatchAsync(CancellationToken token)
        {
            try
            {
                for (long i = 1; i <= segments; i++)
                {
                    // Slots are taken in index order, so the next segment to hash always holds one: no deadlock.
                    await slots.WaitAsync(token).ConfigureAwait(false);
                    await jobs.Writer.WriteAsync(i, token).ConfigureAwait(false);
                }
            }
            finally
            {
                jobs.Writer.TryComplete();
            }
        }

        async Task CheckAllAsync(CancellationToken token)
        {
            try
            {
                await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
                {
                    await foreach (var i in jobs.Reader.ReadAllAsync(token).ConfigureAwait(false))
                    {
                        await results.Writer.WriteAsync(await CheckAsync(i, index, legacy, token).ConfigureAwait(false), token).ConfigureAwait(false);
                    }
                }, token))).ConfigureAwait(false);
            }
            finally
            {
                results.Writer.TryComplete();
            }
        }

        async Task HashInOrderAsync(CancellationToken token)
        {
            long next = 1, offset = 0;
            await foreach (var outcome in results.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                pending[outcome.Index] = outcome;
                while (pending.Remove(next, out var o))
                {
                    using (o.Data)
                    {
                        if (o.Data is not null && whole && o.RecordedOffset is { } recorded && recorded != offset)
                        {
                            o = o with { Bad = new SegmentProblem(o.Index, o.Key, $"its record says it starts at byte {recorded}, but the segments before it end at byte {offset}") };
                        }
                        if (o.Bad is not null || o.Failed is not null)
                        {
                            (o.Bad is not null ? bad : failed).Add(o.Bad ?? o.Failed!);
                            whole = false;
                        }
                        else
                        {
                            o.Data!.ForEachChunk(sha.AppendData);
                            verified++;
                            bytes += o.Size;
                            offset += o.Size;
                        }
                    }
                    slots.Release();
                    next++;
                }
            }
        }

        try
        {
            await StageGroup.RunAsync(ct, DispatchAsync, CheckAllAsync, HashInOrderAsync).ConfigureAwait(false);
        }
        finally
        {
            foreach (var o in pending.Values)
            {
                o.Data?.Dispose();
            }
            while (results.Reader.TryRead(out var o))
            {
                o.Data?.Dispose();
            }
        }
        return new Totals(verified, bytes, whole ? Convert.ToHexStringLower(sha.GetHashAndReset()) : null, bad, failed);
    }

    private async Task<Outcome> CheckAsync(long index, IReadOnlyList<SegmentInfo>? checksums, bool legacy, CancellationToken ct)
    {
        var key = KeyLayout.SegmentKey(location.Prefix, index);
        var expected = checksums is not null && index <= checksums.Count ? checksums[(int)(index - 1)] : null;
        try
        {
            var fetched = await retry.ExecuteAsync(token => FetchOnceAsync(index, key, expected, legacy, token), ct).ConfigureAwait(false);
            logger.LogInformation("Segment {SegmentIndex} verified ({Size} bytes)", index, fetched.Size);
            return new Outcome(index, key, fetched.Data, fetched.Size, fetched.RecordedOffset, null, null);
        }
        catch (AmazonS3Exception e) when (AwsErrors.IsNotFound(e) && e.ErrorCode != "NoSuchBucket")
        {
            return new Outcome(index, key, null, 0, null, new SegmentProblem(index, key, "missing: no such object"), null);
        }
        catch (FatalException e) when (e.ExitCode == ExitCodes.Integrity)
        {
            logger.LogInformation("Segment {SegmentIndex} is bad: {Reason}", index, e.Message);
            return new Outcome(index, key, null, 0, null, new SegmentProblem(index, key, e.Message), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var fatal = AwsErrors.ToFatal(e, $"s3://{location.Bucket}/{key}");
            if (fatal.ExitCode != ExitCodes.Transfer)
            {
                throw fatal; // access denied, no bucket, endpoint gone: every other segment would fail the same way
            }
            return new Outcome(index, key, null, 0, null, null,
                new SegmentProblem(index, key, $"could not be fetched in {retry.Tries} attempts: {AwsErrors.Describe(e)}"));
        }
    }

    private async ValueTask<Fetched> FetchOnceAsync(long index, string key, SegmentInfo? expected, bool legacy, CancellationToken ct)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = key }, ct).ConfigureAwait(false);
        var length = response.ContentLength;
        if (length is < 0 or > MaxSegmentBytes)
        {
            throw new FatalException(ExitCodes.Integrity, $"S3 holds {length} bytes; a segment has at most 5 GiB");
        }
        if (expected is not null && length != expected.Size)
        {
            throw new FatalException(ExitCodes.Integrity, $"S3 holds {length} bytes, {KeyLayout.ChecksumsName} records {expected.Size}");
        }
        var buffer = buffers.Create(index);
        try
        {
            var crc = new SegmentChecksum();
            using var md5 = legacy ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            var read = await buffer.AppendFromAsync(response.ResponseStream, length, chunk =>
            {
                crc.Append(chunk);
                md5?.AppendData(chunk);
            }, ct).ConfigureAwait(false);
            if (read != length)
            {
                // A body cut short is a transfer failure, not bad data: retried, then reported as not fetched.
                throw new IOException($"the body ended after {read} of {length} bytes");
            }
            var actual = crc.Finish();
            long? offset = null;
            if (expected is not null)
            {
                if (expected.Checksum != actual)
                {
                    throw new FatalException(ExitCodes.Integrity, $"CRC64/NVME is {actual}, {KeyLayout.ChecksumsName} records {expected.Checksum}");
                }
                offset = expected.Offset;
            }
            else if (FromMetadata(response) is { } meta)
            {
                if (meta.Checksum != actual)
                {
                    throw new FatalException(ExitCodes.Integrity, $"CRC64/NVME is {actual}, the object metadata records {meta.Checksum}");
                }
                offset = meta.Offset;
            }
            else if (legacy)
            {
                var tag = response.ETag?.Trim('"').ToLowerInvariant();
                var hash = Convert.ToHexStringLower(md5!.GetHashAndReset());
                // A multipart or KMS ETag is not an MD5; such a segment is covered by the total size only.
                if (tag is { Length: 32 } && tag.All(Uri.IsHexDigit) && tag != hash)
                {
                    throw new FatalException(ExitCodes.Integrity, $"MD5 is {hash}, the ETag says {tag}");
                }
            }
            else
            {
                throw new FatalException(ExitCodes.Integrity, $"no checksum to check it against: no {KeyLayout.ChecksumsName} entry and no {MetadataNames.Checksum} metadata");
            }
            return new Fetched(buffer, length, offset);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static (string Checksum, long Offset)? FromMetadata(GetObjectResponse response)
    {
        var checksum = response.Metadata["x-amz-meta-" + MetadataNames.Checksum];
        var offsetText = response.Metadata["x-amz-meta-" + MetadataNames.Offset];
        return SegmentChecksum.IsWellFormed(checksum) && long.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? (checksum, offset)
            : null;
    }
}
