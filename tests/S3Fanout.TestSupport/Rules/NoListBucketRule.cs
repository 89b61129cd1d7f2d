using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// A principal without <c>s3:ListBucket</c> on the bucket. A GET or HEAD of a missing key answers 403 AccessDenied
/// instead of 404 NoSuchKey, and ListObjects/ListObjectsV2 of the bucket answer 403 AccessDenied.
/// </summary>
/// <remarks>
/// GetObject: "If the object you request doesn't exist, the error that Amazon S3 returns depends on whether you also have
/// the s3:ListBucket permission. [...] If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status
/// code 403 Access Denied error" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). HeadObject answers
/// the same case with 403 Forbidden and no body, as every HEAD error has none
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). ListObjectsV2: "You must have permission to
/// perform the s3:ListBucket action" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html; likewise
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html); without it, 403 AccessDenied.
/// With <c>accessKeyId</c> the rule holds for that principal only (the access key in the request's SigV4
/// <c>Credential=</c>), so a publisher with its own credentials may go through the same proxy unaffected.
/// </remarks>
public sealed class NoListBucketRule(string? accessKeyId = null) : AwsRule
{
    public const string Code = "AccessDenied";

    /// <summary>Query parameters of ListObjects (v1) and ListObjectsV2; a bucket GET with any other is another operation.</summary>
    private static readonly HashSet<string> ListParameters = new(StringComparer.Ordinal)
    {
        "list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "start-after", "continuation-token", "fetch-owner",
    };

    private readonly ConcurrentQueue<string> _refused = new();

    /// <summary>The keys (and "LIST prefix" entries) this rule refused, in order.</summary>
    public IReadOnlyCollection<string> Refused => _refused;

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Applies(request) || !IsListing(request))
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        _refused.Enqueue("LIST " + (request.Query("prefix") ?? ""));
        return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.S3, 403, Code, "Access Denied"));
    }

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        var head = request.Operation == "HEAD";
        if (!Applies(request) || request.Key.Length == 0 || request.Operation is not ("GET" or "HEAD") || answer.Status != 404)
        {
            return answer;
        }
        // A HEAD's 404 has no body to name the code; a GET's must be NoSuchKey (a missing bucket stays NoSuchBucket).
        if (!head && AwsRules.ErrorCode(answer) != "NoSuchKey")
        {
            return answer;
        }
        _refused.Enqueue(request.Key);
        return RuleAnswer.Error(AwsService.S3, 403, Code, "Access Denied", bodiless: head);
    }

    private bool Applies(RuleRequest request) =>
        request.Service == AwsService.S3 && (accessKeyId is null || AccessKeyOf(request) == accessKeyId);

    private static bool IsListing(RuleRequest request)
    {
        if (request.Operation != "GET" || request.Key.Length != 0 || request.Bucket.Length == 0)
        {
            return false;
        }
        var parts = request.Request.Target.Split('?', 2);
        return parts.Length < 2 || parts[1].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .All(pair => ListParameters.Contains(Uri.UnescapeDataString(pair.Split('=', 2)[0])));
    }

    /// <summary>The access key of a SigV4 <c>Authorization: AWS4-HMAC-SHA256 Credential=KEY/date/region/service/aws4_request, …</c>.</summary>
    private static string? AccessKeyOf(RuleRequest request)
    {
        var auth = request.Header("Authorization");
        var start = auth?.IndexOf("Credential=", StringComparison.Ordinal) ?? -1;
        if (start < 0)
        {
            return null;
        }
        start += "Credential=".Length;
        var end = auth!.IndexOf('/', start);
        return end > start ? auth[start..end] : null;
    }
}
