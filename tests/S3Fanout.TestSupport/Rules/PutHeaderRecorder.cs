using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// Not an AWS behaviour: records the headers of every S3 object PUT (not copies, not parts) as they reached the proxy,
/// so a test can tell what a client put on the wire (which checksum header, Content-MD5 or not).
/// </summary>
public sealed class PutHeaderRecorder : AwsRule
{
    private readonly ConcurrentQueue<RecordedPut> _puts = new();

    /// <summary>Every object PUT seen, in arrival order.</summary>
    public IReadOnlyList<RecordedPut> Puts => [.. _puts];

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service == AwsService.S3 && request.Request.Method == "PUT" && request.Key.Length > 0
            && request.Header("x-amz-copy-source") is null && !request.HasQuery("partNumber"))
        {
            var headers = request.Request.Head.Headers
                .GroupBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            _puts.Enqueue(new RecordedPut(request.Key, headers, request.Body.Length));
        }
        return ValueTask.FromResult<RuleAnswer?>(null);
    }
}

/// <summary>One PUT as <see cref="PutHeaderRecorder"/> saw it: its key, its headers (names lower-case) and its body length.</summary>
public sealed record RecordedPut(string Key, IReadOnlyDictionary<string, string> Headers, int BodyLength)
{
    public bool Has(string header) => Headers.ContainsKey(header.ToLowerInvariant());
}
