using System.Text.RegularExpressions;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// Not an AWS behaviour: counts the S3 GETs that went through the proxy and the body bytes they returned, segment keys
/// (<c>NAME/000000000000001</c>, s3pipe2's layout) apart from everything else (<c>.manifest</c>, <c>.checksums</c>),
/// so a test can tell that a relay moved no segment byte.
/// </summary>
public sealed partial class SegmentReadCounter : AwsRule
{
    private long _segmentGets;
    private long _segmentBytes;
    private long _otherGets;
    private long _otherBytes;

    public long SegmentGets => Interlocked.Read(ref _segmentGets);

    public long SegmentBytes => Interlocked.Read(ref _segmentBytes);

    public long OtherGets => Interlocked.Read(ref _otherGets);

    public long OtherBytes => Interlocked.Read(ref _otherBytes);

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service == AwsService.S3 && request.Request.Method == "GET" && request.Key.Length > 0)
        {
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
