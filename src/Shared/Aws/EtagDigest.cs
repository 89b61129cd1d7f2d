using Amazon.S3;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// Whether S3's ETag for an object is the MD5 of its body, decided from what S3 answered (PUT, GET or HEAD), not from
/// what was asked: a bucket whose default encryption is SSE-KMS encrypts a PUT that asked for nothing with KMS too.
/// </summary>
/// <remarks>
/// Objects created by PutObject or CopyObject that are stored as plaintext or with SSE-S3 (AES256) have ETags that are
/// the MD5 of their data; with SSE-C or SSE-KMS (and DSSE-KMS) they do not; multipart objects never do
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag). S3 reports the encryption in
/// <c>x-amz-server-side-encryption</c> (and SSE-C in <c>x-amz-server-side-encryption-customer-algorithm</c>) on every
/// PUT, GET and HEAD answer (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
/// </remarks>
internal static class EtagDigest
{
    /// <summary>True when an answer with these encryption headers carries the body's MD5 as its ETag.</summary>
    public static bool IsMd5(ServerSideEncryptionMethod? method, ServerSideEncryptionCustomerMethod? customerMethod) =>
        string.IsNullOrEmpty(customerMethod?.Value) && (string.IsNullOrEmpty(method?.Value) || method == ServerSideEncryptionMethod.AES256);

    /// <summary>The ETag as lower-case hex without its quotes.</summary>
    public static string? Normalize(string? etag) => etag?.Trim('"').ToLowerInvariant();
}
