using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// A bucket whose policy denies <c>s3:PutObject</c> unless the request asks for one server-side encryption:
/// <c>"Effect": "Deny", "Action": "s3:PutObject", "Condition": { "StringNotEquals": { "s3:x-amz-server-side-encryption": "aws:kms" } }</c>
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms). The condition key is
/// the request's <c>x-amz-server-side-encryption</c> header; a request without it does not equal the value and is denied.
/// </summary>
/// <remarks>
/// Three operations are authorised as <c>s3:PutObject</c> and carry that header: PutObject; CopyObject ("you must have
/// read access to the source object and write access to the destination bucket",
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html: s3:PutObject on the copy); and
/// CreateMultipartUpload ("You must be allowed to perform the s3:PutObject action on an object to initiate multipart
/// upload", https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuAndPermissions.html). Their parts name no
/// encryption and are not checked here. An explicit deny in a bucket policy answers 403 AccessDenied
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Other buckets, reads and other object
/// sub-resources (<c>?tagging</c>, <c>?acl</c>) are untouched. With <see cref="RequiredKeyId"/> the policy also
/// requires <c>s3:x-amz-server-side-encryption-aws-kms-key-id</c> to equal that key (same pages).
/// </remarks>
public sealed class RequireSseRule(string bucket, string method = RequireSseRule.AwsKms) : AwsRule
{
    public const string AwsKms = "aws:kms";
    public const string Code = "AccessDenied";
    public const string SseHeader = "x-amz-server-side-encryption";
    public const string KeyHeader = "x-amz-server-side-encryption-aws-kms-key-id";

    /// <summary>Object sub-resources written with PUT that are other actions than s3:PutObject.</summary>
    private static readonly string[] OtherActions = ["tagging", "acl", "retention", "legal-hold", "partNumber", "uploadId"];

    private readonly ConcurrentQueue<CheckedWrite> _checked = new();

    public string Bucket { get; } = bucket;

    /// <summary>The value <c>x-amz-server-side-encryption</c> must have.</summary>
    public string Method { get; } = method;

    /// <summary>When set, <c>x-amz-server-side-encryption-aws-kms-key-id</c> must equal it too.</summary>
    public string? RequiredKeyId { get; init; }

    /// <summary>Every PutObject, CopyObject and CreateMultipartUpload on the bucket, in arrival order, admitted or not.</summary>
    public IReadOnlyList<CheckedWrite> Checked => [.. _checked];

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Operation(request) is not { } operation)
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        var sse = request.Header(SseHeader);
        var keyId = request.Header(KeyHeader);
        var denied = sse != Method || (RequiredKeyId is not null && keyId != RequiredKeyId);
        _checked.Enqueue(new CheckedWrite(operation, request.Key, sse, keyId, denied));
        return ValueTask.FromResult(denied
            ? RuleAnswer.Error(AwsService.S3, 403, Code,
                $"User is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::{Bucket}/{request.Key}\" with an explicit deny in a resource-based policy")
            : null);
    }

    /// <summary>"PutObject", "CopyObject" or "CreateMultipartUpload" for a write the policy checks, else null.</summary>
    private string? Operation(RuleRequest request)
    {
        if (request.Service != AwsService.S3 || request.Bucket != Bucket || request.Key.Length == 0)
        {
            return null;
        }
        if (request.Operation == "POST")
        {
            return request.HasQuery("uploads") ? "CreateMultipartUpload" : null;
        }
        if (request.Operation != "PUT" || OtherActions.Any(request.HasQuery))
        {
            return null;
        }
        return request.Header("x-amz-copy-source") is null ? "PutObject" : "CopyObject";
    }
}

/// <summary>One write <see cref="RequireSseRule"/> checked: its operation, key, the encryption headers it carried, and whether it was refused.</summary>
public sealed record CheckedWrite(string Operation, string Key, string? Sse, string? KmsKeyId, bool Denied);
