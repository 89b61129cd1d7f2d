using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// S3's request rate per partitioned prefix: "your application can achieve at least 3,500 PUT/COPY/POST/DELETE or 5,500
/// GET/HEAD requests per second per partitioned Amazon S3 prefix"
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html). Past it S3 answers 503 with the
/// code <c>SlowDown</c>, "Please reduce your request rate." (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html,
/// SlowDown, 503 Slow Down; the message as in
/// https://aws.amazon.com/premiumsupport/knowledge-center/s3-resolve-503-slowdown-throttling/). fauxqs never throttles.
/// </summary>
/// <remarks>
/// The rate is configurable (scaled down to what this machine can send); so is the prefix, by default the bucket and the
/// key up to its last '/', so every segment of a broadcast shares one. Each prefix is a token bucket holding one second's
/// worth of requests (at least one) and refilled at the rate, so a burst of up to that many passes and a sustained rate
/// above it is refused. A GET refusal carries the S3 XML error (counted by <c>proxy.Rules.Refusals("SlowDown")</c>); a
/// HEAD's has no body, as every HEAD error has none, and counts as "503" there. <see cref="Refused"/> counts both.
/// Writes (PUT/POST/DELETE of an object) are limited only when <see cref="PutsPerSecond"/> is set (AWS: 3,500).
/// </remarks>
public sealed class PrefixGetRate(double getsPerSecond, Func<string, string>? prefixOf = null, TimeProvider? time = null) : AwsRule
{
    public const string Code = "SlowDown";
    public const string Message = "Please reduce your request rate.";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Func<string, string> _prefixOf = prefixOf ?? DefaultPrefix;
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _refused;
    private int _passed;

    public double GetsPerSecond { get; } = getsPerSecond > 0 ? getsPerSecond : throw new ArgumentOutOfRangeException(nameof(getsPerSecond), "the rate must be above 0");

    /// <summary>Writes (object PUT/POST/DELETE) a second per prefix; null: writes are not limited.</summary>
    public double? PutsPerSecond { get; init; }

    /// <summary>Requests refused with 503 SlowDown (GET, HEAD and, when limited, writes).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Limited requests that went through to the endpoint.</summary>
    public int Passed => Volatile.Read(ref _passed);

    /// <summary>"bucket/key-up-to-its-last-slash" ("bucket/" for a key without one): the default prefix.</summary>
    public static string DefaultPrefix(string bucketAndKey)
    {
        ArgumentNullException.ThrowIfNull(bucketAndKey);
        return bucketAndKey[..(bucketAndKey.LastIndexOf('/') + 1)];
    }

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.S3 || request.Key.Length == 0 || RateOf(request.Operation) is not { } rate)
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        var read = request.Operation is "GET" or "HEAD";
        var prefix = (read ? "R " : "W ") + _prefixOf(request.Bucket + "/" + request.Key);
        bool allowed;
        lock (_gate)
        {
            if (!_buckets.TryGetValue(prefix, out var bucket))
            {
                bucket = new Bucket(rate, _time.GetUtcNow());
                _buckets[prefix] = bucket;
            }
            allowed = bucket.TryTake(rate, _time);
        }
        if (allowed)
        {
            Interlocked.Increment(ref _passed);
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        Interlocked.Increment(ref _refused);
        return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.S3, 503, Code, Message, bodiless: request.Operation == "HEAD"));
    }

    private double? RateOf(string operation) => operation switch
    {
        "GET" or "HEAD" => GetsPerSecond,
        "PUT" or "POST" or "DELETE" => PutsPerSecond,
        _ => null,
    };

    /// <summary>A token bucket of one prefix: one second's worth of requests, at least one, refilled at the rate.</summary>
    /// <remarks>Timed by the clock's wall time, so a <see cref="FrozenTime"/> keeps a test's requests in one instant.</remarks>
    private sealed class Bucket(double rate, DateTimeOffset stamp)
    {
        private double _tokens = Math.Max(1, rate);
        private DateTimeOffset _stamp = stamp;

        public bool TryTake(double perSecond, TimeProvider time)
        {
            var now = time.GetUtcNow();
            _tokens = Math.Min(Math.Max(1, perSecond), _tokens + (Math.Max(0, (now - _stamp).TotalSeconds) * perSecond));
            _stamp = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }
}
