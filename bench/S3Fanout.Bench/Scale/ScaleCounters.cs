using System.Collections.Concurrent;
using System.Diagnostics;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;

namespace S3Fanout.Bench.Scale;

/// <summary>
/// What the proxy saw during the scale run, per operation: every request as it arrived (refused ones included), and,
/// as the last rule, each successful Subscribe (its queue ARN and when), which is when that subscriber joined.
/// Not an AWS behaviour; an observer.
/// </summary>
internal sealed class ScaleCounters : AwsRule
{
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _joinedAt = new(StringComparer.Ordinal);

    /// <summary>Requests per "Service Operation" ("S3 GET segment", "Sqs ReceiveMessage", "Sns Publish"…).</summary>
    public IReadOnlyDictionary<string, int> Requests => _requests;

    /// <summary>Stopwatch timestamp of the first successful Subscribe of each queue (by its ARN).</summary>
    public IReadOnlyDictionary<string, long> JoinedAt => _joinedAt;

    public int Joined => _joinedAt.Count;

    public void Seen(ProxiedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _requests.AddOrUpdate(Name(request), 1, (_, n) => n + 1);
    }

    public int Count(string name) => _requests.GetValueOrDefault(name);

    /// <summary>Every request of a service (e.g. every SQS call), refused ones included.</summary>
    public int Total(AwsService service) => _requests.Where(p => p.Key.StartsWith(service + " ", StringComparison.Ordinal)).Sum(p => p.Value);

    public void Reset() => _requests.Clear();

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service == AwsService.Sns && request.Operation == "Subscribe" && answer.Status == 200 && request.Form("Endpoint") is { } queueArn)
        {
            _joinedAt.TryAdd(queueArn, Stopwatch.GetTimestamp());
        }
        return answer;
    }

    /// <summary>S3 requests are told apart by what they touch: a segment key, the manifest, the checksum index, or other.</summary>
    private static string Name(ProxiedRequest request)
    {
        if (request.Service != AwsService.S3)
        {
            return $"{request.Service} {request.Operation}";
        }
        var leaf = request.Key[(request.Key.LastIndexOf('/') + 1)..];
        var what = leaf switch
        {
            ".manifest" => "manifest",
            ".checksums" => "checksums",
            _ when leaf.Length > 0 && leaf.All(char.IsAsciiDigit) => "segment",
            _ => "other",
        };
        return $"S3 {request.Method} {what}";
    }
}
