using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// An endpoint that ignores Content-MD5 (s3rver 3.7.1 does; S3 itself answers 400 BadDigest,
/// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) and a body damaged on the way: the first PUT of
/// <paramref name="key"/> is stored with one byte inverted, and answered as such an endpoint answers, 200 with the
/// damaged body's MD5 as its ETag. What the writer does next (check the ETag, store again) is what is tested.
/// </summary>
public sealed class DamagedStoreRule(string key) : AwsRule
{
    private int _done;

    /// <summary>How many PUTs this rule stored damaged (0 or 1).</summary>
    public int Damaged => Volatile.Read(ref _done);

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.S3 || request.Request.Method != "PUT" || request.Key != key || request.Body.Length == 0
            || Interlocked.CompareExchange(ref _done, 1, 0) != 0)
        {
            return null;
        }
        var damaged = (byte[])request.Body.Clone();
        damaged[damaged.Length / 2] ^= 0xFF;
        var headers = request.HeadersToForward();
        return await request.AskUpstreamAsync("PUT", request.Request.Target, headers, damaged).ConfigureAwait(false);
    }
}
