using Amazon.S3;
using Amazon.S3.Model;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The one way S3Fanout stores an object (a segment, <c>.manifest</c>, <c>.checksums</c>): one plain PUT of a body of known
/// length, with Content-MD5, and S3's answer checked by <see cref="PutAnswer"/> (the ETag where it is the body's MD5).
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
/// Content-MD5 makes S3 refuse a body damaged on the way (BadDigest); the ETag of an object created by PutObject without
/// SSE-KMS/SSE-C is the MD5 of its data (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html), so comparing it also catches an endpoint that stored
/// other bytes than were sent or that ignores Content-MD5. Either failure is retryable: the next attempt sends the body again.
/// </para>
/// </remarks>
internal static class PlainPut
{
    /// <summary>
    /// PUTs <paramref name="request"/> (bucket, key, body, content type and metadata filled in by the caller) with the
    /// body's <paramref name="md5"/> and <paramref name="settings"/>, and checks the answer.
    /// </summary>
    /// <param name="what">The object, for the error message: "segment 3", "s3://bucket/name/.manifest".</param>
    /// <param name="crc64">The body's CRC-64/NVME as S3 writes it, checked against S3's own where the ETag is no MD5.</param>
    /// <param name="condition">Sent when <see cref="PutSettings.Conditions"/> allows; a 412 is the caller's to judge.</param>
    /// <returns>The ETag S3 answered, for a later <see cref="PutCondition.IfUnchanged"/>.</returns>
    public static async Task<string?> PutAsync(
        IAmazonS3 s3, PutObjectRequest request, byte[] md5, string? crc64, PutSettings settings, string what, CancellationToken ct, PutCondition? condition = null)
    {
        request.MD5Digest = Convert.ToBase64String(md5);
        // The MD5 is computed already (Content-MD5, checked by S3) and the answer is checked below; the SDK's own MD5 stream
        // would hash every byte a second time.
        request.DisableDefaultChecksumValidation = true;
        // Over HTTPS, TLS and Content-MD5 protect the body; signing it too would be a third hash of every byte.
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
            PutAnswer.Check(response, md5, crc64, what);
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
}
