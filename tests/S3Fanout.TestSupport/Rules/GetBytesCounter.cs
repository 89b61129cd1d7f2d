using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>Observes only: the body bytes of every successful S3 GET, per key, so a test can say what a client downloaded.</summary>
public sealed class GetBytesCounter : AwsRule
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    /// <summary>Bytes downloaded per "bucket/key".</summary>
    public IReadOnlyDictionary<string, long> PerKey => _bytes;

    /// <summary>Bytes downloaded from keys that satisfy <paramref name="which"/> ("bucket/key").</summary>
    public long Bytes(Func<string, bool> which) => _bytes.Where(p => which(p.Key)).Sum(p => p.Value);

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service == AwsService.S3 && request.Request.Method == "GET" && answer.Status is 200 or 206 && request.Key.Length > 0)
        {
            _bytes.AddOrUpdate(request.Bucket + "/" + request.Key, answer.Body.Length, (_, n) => n + answer.Body.Length);
        }
        return answer;
    }
}
