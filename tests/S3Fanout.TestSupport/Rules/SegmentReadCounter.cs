using System.Text.RegularExpressions;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// Not an AWS behaviour: counts the S3 GETs that went through the proxy and the body bytes they returned, segment keys
/// (<c>NAME/000000000000001</c>, s3pipe2's layout) apart from everything else (<c>.manifest</c>, <c>.checksums</c>),
/// so a test can tell that a relay moved no segment byte, and per key, so it can tell what an assembler downloaded.
/// </summary>
public sealed partial class SegmentReadCounter : AwsRule
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _perKey = new(StringComparer.Ordinal);
    private long _segmentGets;
    private long _segmentBytes;
    private long _otherGets;
    private long _otherBytes;

    public long SegmentGets => Interlocked.Read(ref _segmentGets);

    public long SegmentBytes => Interlocked.Read(ref _segmentBytes);

    public long OtherGets => Interlocked.Read(ref _otherGets);

    public long OtherBytes => Interlocked.Read(ref _otherBytes);

    /// <summary>Body bytes of successful GETs of the keys that satisfy <paramref name="which"/> ("bucket/key").</summary>
    public long Bytes(Func<string, bool> which) => _perKey.Where(p => which(p.Key)).Sum(p => p.Value);

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service == AwsService.S3 && request.Request.Method == "GET" && request.Key.Length > 0)
        {
            if (answer.Status is 200 or 206)
            {
                _perKey.AddOrUpdate(request.Bucket + "/" + request.Key, answer.Body.Length, (_, n) => n + answer.Body.Length);
            }
            if (SegmentKey().IsMatch(request.Key))
            {
                Interlocked.Increment(ref _segmentGets);
                Interlocked.Add(ref _segmentBytes, answer.Body.Length);
            }
            else
            {
                Interlocked.Increment(ref _otherGets);
                Interlocked.Add(ref _otherBytes, answer.Body.Length);
            }
        }
        return answer;
    }

    public override string ToString() => $"segment GETs {SegmentGets} ({SegmentBytes} bytes), other GETs {OtherGets} ({OtherBytes} bytes)";

    [GeneratedRegex(@"(^|/)[0-9]{15}$")]
    private static partial Regex SegmentKey();
}
