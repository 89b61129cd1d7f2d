using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.TestSupport;

/// <summary>
/// A complete S3Fanout broadcast of any number of tiny segments (1–8 bytes each, made up from the index), written as
/// the publisher leaves it (segments, <c>.checksums</c>, <c>.manifest</c>) but without running one: a long broadcast
/// (a log tail of weeks) costs seconds instead of days. The bytes of segment i are <see cref="Fill"/>(i).
/// </summary>
public sealed class SyntheticArchive
{
    private SyntheticArchive(long segments, byte[] index, byte[] manifest, long bytes, string sha256)
    {
        Segments = segments;
        Index = index;
        Manifest = manifest;
        Bytes = bytes;
        StreamSha256 = sha256;
    }

    public long Segments { get; }

    /// <summary>The <c>.checksums</c> object: the header, then one line per segment.</summary>
    public byte[] Index { get; }

    /// <summary>The <c>.manifest</c> object of the completed broadcast.</summary>
    public byte[] Manifest { get; }

    public long Bytes { get; }

    public string StreamSha256 { get; }

    /// <summary>Segment <paramref name="index"/>'s bytes, written to <paramref name="body"/> (8 bytes or more); returns how many (1–8).</summary>
    public static int Fill(long index, Span<byte> body)
    {
        var size = (int)(1 + (index % 8));
        for (var j = 0; j < size; j++)
        {
            body[j] = (byte)((index * 131) + (j * 7));
        }
        return size;
    }

    public static byte[] Segment(long index)
    {
        var body = new byte[8];
        return body[..Fill(index, body)];
    }

    /// <summary>The whole stream, segments 1..<paramref name="segments"/> concatenated (for small archives).</summary>
    public static byte[] Stream(long segments)
    {
        using var all = new MemoryStream();
        for (long i = 1; i <= segments; i++)
        {
            all.Write(Segment(i));
        }
        return all.ToArray();
    }

    public static SyntheticArchive Of(long segments)
    {
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
        var streamSha = Convert.ToHexStringLower(sha.GetHashAndReset());
        var now = DateTimeOffset.UtcNow;
        var manifest = new Manifest
        {
            FormatVersion = 1,
            Completed = true,
            State = BroadcastState.Complete,
            StreamSha256 = streamSha,
            ChecksumAlgorithm = SegmentChecksum.Algorithm,
            SegmentSizeMb = 1,
            SegmentSizeBytes = 1024 * 1024,
            Notify = "none",
            UploadBegan = now,
            UploadEnded = now,
            UpdatedAt = now,
        }.WithStored(segments, offset, Fill(segments, body));
        return new SyntheticArchive(segments, index.ToArray(), Encoding.UTF8.GetBytes(ManifestCodec.Format(manifest)), offset, streamSha);
    }

    /// <summary>Writes the archive at <c>s3://<paramref name="bucket"/>/<paramref name="name"/></c>: the segments, <paramref name="parallel"/> PUTs at a time, then <c>.checksums</c>, then <c>.manifest</c>.</summary>
    public async Task WriteAsync(IAmazonS3 s3, string bucket, string name, int parallel, CancellationToken ct)
    {
        await Parallel.ForEachAsync(LongRange(1, Segments), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (i, token) => await PutAsync(s3, bucket, KeyLayout.SegmentKey(name, i), Segment(i), token).ConfigureAwait(false)).ConfigureAwait(false);
        await PutAsync(s3, bucket, KeyLayout.ChecksumsKey(name), Index, ct).ConfigureAwait(false);
        await PutAsync(s3, bucket, KeyLayout.ManifestKey(name), Manifest, ct).ConfigureAwait(false);
    }

    private static async Task PutAsync(IAmazonS3 s3, string bucket, string key, byte[] body, CancellationToken ct)
    {
        using var stream = new MemoryStream(body, writable: false);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = stream, AutoCloseStream = false }, ct).ConfigureAwait(false);
    }

    private static IEnumerable<long> LongRange(long first, long last)
    {
        for (var i = first; i <= last; i++)
        {
            yield return i;
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Segments} segments, {Bytes} bytes, index {Index.Length} bytes");
}
