using Amazon.S3;
using Amazon.S3.Model;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// The server-side encryption the publisher asks for, the same on every object it writes (segments, <c>.manifest</c>,
/// <c>.checksums</c>): a bucket policy that requires one KMS key refuses a PUT that names another key or none.
/// </summary>
/// <remarks>
/// A PUT that asks for <c>aws:kms</c> without <c>x-amz-server-side-encryption-aws-kms-key-id</c> is encrypted with the
/// AWS managed key <c>aws/s3</c> (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), not the key the
/// other objects got. A policy that denies s3:PutObject unless the condition key
/// <c>s3:x-amz-server-side-encryption-aws-kms-key-id</c> equals one key ARN
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms) refuses it with 403 AccessDenied.
/// </remarks>
internal sealed record SseSettings(ServerSideEncryptionMethod Method, string? KmsKeyId = null)
{
    /// <summary>The settings from --sse (AES256 or aws:kms) and --sse-kms-key-id, or null for neither.</summary>
    public static SseSettings? Parse(string? method, string? kmsKeyId)
    {
        if (kmsKeyId is not null && method != ServerSideEncryptionMethod.AWSKMS.Value)
        {
            throw new UsageException("--sse-kms-key-id needs --sse aws:kms");
        }
        return method is null ? null : new SseSettings(ServerSideEncryptionMethod.FindValue(method), kmsKeyId);
    }

    public void ApplyTo(PutObjectRequest request)
    {
        request.ServerSideEncryptionMethod = Method;
        request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
    }

    /// <summary>
    /// A copy (segments relayed, read replicas) asks for the same: "When copying an object, if you don't specify encryption
    /// information in your copy request, the encryption setting of the target object is set to the default encryption
    /// configuration of the destination bucket" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html,
    /// x-amz-server-side-encryption), so a source's SSE-KMS key is not carried over unless asked for here.
    /// </summary>
    public void ApplyTo(CopyObjectRequest request)
    {
        request.ServerSideEncryptionMethod = Method;
        request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
    }

    /// <summary>A multipart upload (assemble) names its encryption when it is created; its parts carry none.</summary>
    public void ApplyTo(InitiateMultipartUploadRequest request)
    {
        request.ServerSideEncryptionMethod = Method;
        request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
    }
}
