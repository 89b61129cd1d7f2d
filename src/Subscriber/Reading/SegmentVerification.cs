using System.Globalization;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Fetching;

namespace S3Fanout.Subscriber.Reading;

/// <summary>
/// The one set of checks every reader of a broadcast applies to a segment, whether it is written to a sink or only
/// verified: its size, its CRC-64/NVME (against the publisher's record, else the object's own metadata), the MD5 against
/// the ETag for s3pipe2 archives (which record neither) when the GET's answer says the ETag is an MD5, and that it starts where the segment before it ended.
/// Pure: each check takes what was fetched and throws on the first mismatch.
/// </summary>
internal static class SegmentVerification
{
    /// <summary>Before reading the body: the object must be the size the publisher stored.</summary>
    /// <param name="objectSize">The whole object's size from a ranged answer's Content-Range, if the answer had one.</param>
    public static void CheckSize(long index, long length, long? objectSize, SegmentInfo? expected)
    {
        if (objectSize is { } total && total != length)
        {
            // The range covered less than the object: it is not the segment the publisher stored.
            throw new SegmentCorruptException(index, $"S3 holds {total} bytes, the publisher stored {length}");
        }
        if (length is < 0 or > S3Limits.MaxObjectBytes || (expected is not null && length != expected.Size))
        {
            throw new SegmentCorruptException(index,
                $"S3 holds {length} bytes, the publisher stored {expected?.Size.ToString(CultureInfo.InvariantCulture) ?? "at most 5 GiB"}");
        }
    }

    /// <summary>After reading the body: what it was checked against, or a <see cref="SegmentCorruptException"/>.</summary>
    /// <param name="expected">The publisher's record (notification or checksum index), if known.</param>
    /// <param name="fromMetadata">The record in the object's own metadata, if it has a well-formed one.</param>
    /// <param name="md5">The body's MD5 as lower-case hex, computed only for s3pipe2 archives.</param>
    /// <param name="md5Etag">The GET's ETag when its answer says the ETag is an MD5 (no encryption header, or AES256:
    /// <see cref="EtagDigest"/>); null when the object is encrypted with SSE-KMS, DSSE-KMS or SSE-C.</param>
    public static SegmentInfo? CheckBody(
        long index, long length, long read, string crc64, SegmentInfo? expected, SegmentInfo? fromMetadata, bool legacy, string? md5, string? md5Etag)
    {
        if (read != length)
        {
            throw new SegmentCorruptException(index, $"the body ended after {read} of {length} bytes");
        }
        if ((expected ?? fromMetadata) is { } info)
        {
            if (info.Checksum != crc64)
            {
                throw new SegmentCorruptException(index, $"CRC64/NVME is {crc64}, the publisher recorded {info.Checksum}");
            }
            return info;
        }
        if (!legacy)
        {
            throw new SegmentCorruptException(index, "the object carries no checksum and the publisher announced none");
        }
        var tag = EtagDigest.Normalize(md5Etag);
        // A multipart ETag ("…-N") is not an MD5 either, nor is any ETag of an encrypted object (md5Etag is null then):
        // such an s3pipe2 segment can only be checked by the stream size.
        if (tag is { Length: 32 } && tag.All(Uri.IsHexDigit) && tag != md5)
        {
            throw new SegmentCorruptException(index, $"MD5 is {md5}, the ETag says {tag}");
        }
        return null;
    }

    /// <summary>In order: a segment must start where the bytes before it end.</summary>
    public static void CheckOffset(long index, SegmentInfo? info, long bytesBefore)
    {
        if (info is not null && info.Offset != bytesBefore)
        {
            throw new FatalException(ExitCodes.Integrity,
                $"segment {index} claims offset {info.Offset} but {bytesBefore} bytes came before it; refusing to write it");
        }
    }
}
