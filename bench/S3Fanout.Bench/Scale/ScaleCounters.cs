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
/// <param name="origin">The publisher's bucket; S3 requests on any other are the relays' copies.</param>
internal sealed class ScaleCounters(string origin) : AwsRule
{
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _joinedAt = new(StringComparer.Ordinal);

    /// <summary>Requests per "Service Operation" ("S3 GET segment origin", "S3 COPY segment relay", "Sqs ReceiveMessage", "Sns Publish"…).</summary>
    public IReadOnlyDictionary<string, int> Requests => _requests;

    /// <summary>Stopwatch timestamp of the first successful Subscribe of each queue (by its ARN).</summary>
    public IReadOnlyDictionary<string, long> JoinedAt => _joinedAt;

    public int Joined => _joinedAt.Count;

    public void Seen(ProxiedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _requests.AddOrUpdate(Name(request, origin), 1, (_, n) => n + 1);
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

    /// <summary>
    /// S3 requests are told apart by what they touch (a segment key, the manifest, the checksum index, or other), where
    /// (the origin bucket or a relay's), and a CopyObject (a PUT with x-amz-copy-source) from a PUT.
    /// </summary>
    private static string Name(ProxiedRequest request, string origin)
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
        var bucket = request.Target.Split('?', 2)[0].TrimStart('/').Split('/', 2)[0];
        var method = request.Method == "PUT" && request.Header("x-amz-copy-source") is not null ? "COPY" : request.Method;
        return $"S3 {method} {what} {(bucket == origin ? "origin" : "relay")}";
    }
}
