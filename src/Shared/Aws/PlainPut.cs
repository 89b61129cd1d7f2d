using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one way S3Fanout stores an object (a segment, <c>.manifest</c>, <c>.checksums</c>): one plain PUT of a body of known
/// length, with the body's CRC-64/NVME (<c>x-amz-checksum-crc64nvme</c>) or its Content-MD5 (<see cref="WireChecksum"/>),
/// and S3's answer checked by <see cref="PutAnswer"/>.
/// </summary>
/// <remarks>
/// <para>
/// No <c>aws-chunked</c> framing. The SDK's default for a signed PUT over http:// is a streaming upload whose body is sent
/// in chunks, each prefixed with its size and signature (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html).
/// S3 strips that framing; some S3 implementations (s3rver 3.7.1) store it as part of the object, so a reader would get
/// <c>…;chunk-signature=…</c> lines. Framing would also only add per-chunk signatures and copies
/// (measured: 34-57 % more segment PUT throughput without it).
/// </para>
/// <para>
/// CRC-64/NVME, the default: S3 computes the checksum of what it received with the algorithm of the
/// <c>x-amz-checksum-crc64nvme</c> header and "validates it with the provided value before storing the object"
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html); a mismatch is 400 BadDigest
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), retried as any damage on the way. Its answer
/// carries <c>x-amz-checksum-crc64nvme</c> for an object uploaded with that algorithm
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, ChecksumCRC64NVME), which must equal ours. The
/// SDK adds no checksum of its own to a request that already carries an <c>x-amz-checksum-*</c> header
/// (AWSSDK.Core ChecksumUtils.SetRequestChecksumV2), and none at all with RequestChecksumCalculation WHEN_REQUIRED
/// (<see cref="AwsConnection"/>), so the body is hashed once, by the writer, and never with MD5.
/// </para>
/// <para>
/// Content-MD5 (<c>--checksum md5</c>, or an endpoint that answered without the CRC): S3 refuses a damaged body
/// (BadDigest); the ETag of an object created by PutObject without SSE-KMS/SSE-C is the MD5 of its data
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html), so comparing it also catches an endpoint that stored
/// other bytes than were sent or that ignores Content-MD5. Either failure is retryable: the next attempt sends the body again.
/// </para>
/// </remarks>
internal static class PlainPut
{
    /// <summary>
    /// PUTs <paramref name="request"/> (bucket, key, seekable body, content type and metadata filled in by the caller) with the
    /// body's CRC-64/NVME or MD5 as <paramref name="settings"/> say, and checks the answer.
    /// </summary>
    /// <param name="md5">The body's MD5 where the caller computed it (<see cref="PutSettings.SendsMd5"/>); otherwise it is
    /// computed from the body only if this PUT needs it.</param>
    /// <param name="crc64">The body's CRC-64/NVME as S3 writes it.</param>
    /// <param name="what">The object, for the error message: "segment 3", "s3://bucket/name/.manifest".</param>
    /// <param name="condition">Sent when <see cref="PutSettings.Conditions"/> allows; a 412 is the caller's to judge.</param>
    /// <returns>The ETag S3 answered, for a later <see cref="PutCondition.IfUnchanged"/>.</returns>
    public static async Task<string?> PutAsync(
        IAmazonS3 s3, PutObjectRequest request, byte[]? md5, string crc64, PutSettings settings, string what, CancellationToken ct, PutCondition? condition = null)
    {
        var sendsCrc = settings.Checksum is { SendsCrc: true };
        if (sendsCrc)
        {
            request.ChecksumCRC64NVME = crc64;
        }
        else
        {
            md5 ??= await Md5Async(request, ct).ConfigureAwait(false);
            request.MD5Digest = Convert.ToBase64String(md5);
        }
        // The checksum is computed already (sent, checked by S3) and the answer is checked below; the SDK's own MD5 stream
        // would hash every byte a second time.
        request.DisableDefaultChecksumValidation = true;
        // Over HTTPS, TLS and the checksum protect the body; signing it too would be a third hash of every byte.
        request.DisablePayloadSigning = settings.UnsignedPayload;
        request.UseChunkEncoding = false;
        settings.Sse?.ApplyTo(request);
        var conditional = condition is not null && settings.Conditions is { Enabled: true };
        if (conditional)
        {
            request.IfNoneMatch = condition!.IfNoneMatch;
            request.IfMatch = condition.IfMatch;
        }
        PutObjectResponse response;
        try
        {
            response = await s3.PutObjectAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (conditional && AwsErrors.Classify(e).Kind == FailureKind.Unsupported)
        {
            settings.Conditions!.Disable(AwsErrors.Describe(e));
            if (request.InputStream is not { CanSeek: true } body)
            {
                // The caller's next attempt sends the PUT again, now without the condition.
                throw new FatalException(ExitCodes.Transfer, $"{what}: the endpoint refused a conditional write ({AwsErrors.Describe(e)})", e, retryable: true);
            }
            body.Position = 0;
            request.IfNoneMatch = null;
            request.IfMatch = null;
            response = await s3.PutObjectAsync(request, ct).ConfigureAwait(false);
        }
        try
        {
            if (!sendsCrc || !PutAnswer.CheckCrc(response, crc64, what))
            {
                if (sendsCrc)
                {
                    // No flexible checksums at this endpoint: it ignored the header, so nothing checked this body yet.
                    settings.Checksum!.FallBackToMd5(what);
                    PutAnswer.RequireMd5Etag(response, what);
                }
                md5 ??= await Md5Async(request, ct).ConfigureAwait(false);
                PutAnswer.Check(response, md5, crc64, what);
            }
        }
        catch (FatalException e)
        {
            // The object is stored, but not as sent: the caller's next attempt overwrites exactly it (If-Match this ETag).
            e.Data[StoredETagKey] = response.ETag;
            throw;
        }
        return response.ETag;
    }

    /// <summary>The ETag of an object that a failed PUT stored damaged (see <see cref="PutAsync"/>), or null.</summary>
    public static string? StoredETagOf(Exception e) => e.Data[StoredETagKey] as string;

    private const string StoredETagKey = "s3fanout.stored-etag";

    /// <summary>The MD5 of the request's body, read from its start, which it is left at.</summary>
    private static async Task<byte[]> Md5Async(PutObjectRequest request, CancellationToken ct)
    {
        var body = request.InputStream;
        body.Position = 0;
        var (_, _, md5) = await StreamDigest.ReadAsync(body, HashAlgorithmName.MD5, ct).ConfigureAwait(false);
        body.Position = 0;
        return md5;
    }
}
