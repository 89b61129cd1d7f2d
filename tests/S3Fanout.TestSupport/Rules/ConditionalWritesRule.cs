using System.Globalization;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3 conditional writes on PutObject, CopyObject and CompleteMultipartUpload, which the emulator ignores (it stores
/// the object whatever <c>If-None-Match</c> or <c>If-Match</c> say; checked with fauxqs 2.4.1).
/// <list type="bullet">
/// <item><c>If-None-Match: *</c>: written only if no object has the key, else 412 PreconditionFailed.</item>
/// <item><c>If-Match: ETAG</c>: written only if the object's ETag is ETAG, else 412 PreconditionFailed; no object at
/// all answers 404 NoSuchKey.</item>
/// </list>
/// Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html and the PutObject and
/// CompleteMultipartUpload API references (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html:
/// "If the ETag values do not match, the operation returns a 412 Precondition Failed error"; If-None-Match "expects
/// the '*' (asterisk) character"). AWS evaluates the condition atomically: of two writers racing with
/// <c>If-None-Match: *</c>, one wins and the other gets 412 (or 409 ConditionalRequestConflict); here the check and
/// the write of one key run under one lock, which gives the same outcome.
/// <para>With <see cref="Supported"/> false the rule models an S3-compatible endpoint without conditional writes:
/// any request that carries either header is refused 501 NotImplemented, as such endpoints answer headers they do
/// not implement (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, NotImplemented: "A header you
/// provided implies functionality that is not implemented").</para>
/// </summary>
public sealed class ConditionalWritesRule : AwsRule
{
    /// <summary>False: the endpoint implements no conditional write (501 NotImplemented).</summary>
    public bool Supported { get; init; } = true;

    public override string? LockKey(RuleRequest request) => IsWrite(request) ? request.Bucket + "/" + request.Key : null;

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsWrite(request))
        {
            return null;
        }
        var ifNoneMatch = request.Header("If-None-Match");
        var ifMatch = request.Header("If-Match");
        if (ifNoneMatch is null && ifMatch is null)
        {
            return null;
        }
        if (!Supported)
        {
            return RuleAnswer.Error(AwsService.S3, 501, "NotImplemented", "A header you provided implies functionality that is not implemented");
        }
        var current = await request.AskUpstreamAsync("HEAD", "/" + Uri.EscapeDataString(request.Bucket) + "/" + EscapeKey(request.Key)).ConfigureAwait(false);
        var exists = current.Status == 200;
        if (ifNoneMatch is not null)
        {
            if (ifNoneMatch.Trim() != "*")
            {
                return RuleAnswer.Error(AwsService.S3, 400, "InvalidArgument", "If-None-Match accepts only '*' on writes");
            }
            if (exists)
            {
                return RuleAnswer.Error(AwsService.S3, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
            }
        }
        if (ifMatch is not null)
        {
            if (!exists)
            {
                return RuleAnswer.Error(AwsService.S3, 404, "NoSuchKey", "The specified key does not exist.");
            }
            if (!string.Equals(Unquote(ifMatch), Unquote(current.Head.Get("ETag") ?? ""), StringComparison.Ordinal))
            {
                return RuleAnswer.Error(AwsService.S3, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
            }
        }
        return null;
    }

    /// <summary>PutObject and CopyObject (a PUT that is not an UploadPart) and CompleteMultipartUpload.</summary>
    private static bool IsWrite(RuleRequest request) =>
        request.Service == AwsService.S3 && request.Key.Length > 0
        && ((request.Request.Method == "PUT" && !request.HasQuery("partNumber") && !request.HasQuery("tagging") && !request.HasQuery("acl"))
            || (request.Request.Method == "POST" && request.HasQuery("uploadId")));

    private static string Unquote(string etag) => etag.Trim().Trim('"').ToLower(CultureInfo.InvariantCulture);

    private static string EscapeKey(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
}
