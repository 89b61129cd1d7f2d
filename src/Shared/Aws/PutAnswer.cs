using Amazon.S3.Model;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The check of S3's answer to a PutObject: it must describe the body that was sent. Whether the ETag is the body's MD5
/// is decided from the answer's encryption headers (<see cref="EtagDigest"/>), never from what was asked (--sse): a
/// bucket whose default encryption is SSE-KMS encrypts a PUT that asked for nothing with KMS too.
/// </summary>
/// <remarks>
/// When the ETag is no MD5, the body rests on Content-MD5, which S3 checks before it stores anything, and on the
/// CRC-64/NVME S3 computed itself if it returned one: S3 computes and validates checksums the same way whatever the
/// encryption (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html), and a PutObject
/// answer carries <c>x-amz-checksum-crc64nvme</c> for an object uploaded with that algorithm or with no checksum, S3 then
/// adding it by default (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, ChecksumCRC64NVME).
/// </remarks>
internal static class PutAnswer
{
    /// <summary>
    /// For a PUT sent with <c>x-amz-checksum-crc64nvme</c>: true when the answer carries S3's CRC-64/NVME of what it stored
    /// and it is <paramref name="crc64"/>; false when it carries none (an endpoint without flexible checksums). Throws a
    /// retryable <see cref="FatalException"/> (exit 7) when it differs.
    /// </summary>
    public static bool CheckCrc(PutObjectResponse response, string crc64, string what)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (string.IsNullOrEmpty(response.ChecksumCRC64NVME))
        {
            return false;
        }
        if (response.ChecksumCRC64NVME != crc64)
        {
            throw new FatalException(ExitCodes.Integrity, $"S3 answered CRC-64/NVME {response.ChecksumCRC64NVME} for {what}, expected {crc64}", retryable: true);
        }
        return true;
    }

    /// <summary>
    /// For a PUT whose CRC-64/NVME the endpoint ignored: its ETag must be an MD5 to be checked at all; otherwise (SSE-KMS,
    /// SSE-C) nothing checked the body, and a retryable <see cref="FatalException"/> has it stored again, with Content-MD5.
    /// </summary>
    public static void RequireMd5Etag(PutObjectResponse response, string what)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!EtagDigest.IsMd5(response.ServerSideEncryptionMethod, response.ServerSideEncryptionCustomerMethod))
        {
            throw new FatalException(ExitCodes.Integrity,
                $"{what}: the endpoint returned neither a CRC-64/NVME nor an ETag that is an MD5, so nothing checked the body; storing it again with Content-MD5", retryable: true);
        }
    }

    /// <summary>Throws a retryable <see cref="FatalException"/> (exit 7) when the answer does not fit the body sent.</summary>
    /// <param name="md5">The body's MD5, as sent in Content-MD5.</param>
    /// <param name="crc64">The body's CRC-64/NVME as S3 writes it (base64 of the big-endian value), if known.</param>
    /// <param name="what">The object, for the message: "segment 3", "s3://bucket/name/.manifest".</param>
    public static void Check(PutObjectResponse response, byte[] md5, string? crc64, string what)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (EtagDigest.IsMd5(response.ServerSideEncryptionMethod, response.ServerSideEncryptionCustomerMethod))
        {
            var expected = Convert.ToHexStringLower(md5);
            var etag = EtagDigest.Normalize(response.ETag);
            if (etag != expected)
            {
                throw new FatalException(ExitCodes.Integrity, $"S3 answered ETag {etag} for {what}, expected MD5 {expected}", retryable: true);
            }
        }
        else if (crc64 is not null && !string.IsNullOrEmpty(response.ChecksumCRC64NVME) && response.ChecksumCRC64NVME != crc64)
        {
            throw new FatalException(ExitCodes.Integrity,
                $"S3 answered CRC64/NVME {response.ChecksumCRC64NVME} for {what} (encrypted with {response.ServerSideEncryptionMethod?.Value ?? "SSE-C"}), expected {crc64}", retryable: true);
        }
    }
}
