using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SNS limits Subscribe to 100 calls a second per account (https://docs.aws.amazon.com/general/latest/gr/sns.html, API
/// throttling, "Subscribe"); past the rate a call fails with 429 <c>Throttled</c>, "Throttled request": "the rate at which
/// requests have been submitted for this action exceeds the limit for your Amazon Web Services account"
/// (https://docs.aws.amazon.com/botocore/latest/reference/services/sns/client/exceptions/ThrottledException.html).
/// fauxqs never throttles. The rate is configurable so a test can reach it with a few processes.
/// </summary>
/// <remarks>Calls are counted in fixed one-second windows of the proxy's clock.</remarks>
public sealed class SubscribeThrottleRule(int perSecond = 100, TimeProvider? time = null) : AwsRule
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private long _window = -1;
    private int _inWindow;
    private int _passed;

    public int PerSecond { get; } = perSecond >= 1 ? perSecond : throw new ArgumentOutOfRangeException(nameof(perSecond));

    /// <summary>Subscribe calls that went through to the endpoint.</summary>
    public int Passed => Volatile.Read(ref _passed);

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sns || request.Operation != "Subscribe")
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        lock (_gate)
        {
            var window = _time.GetUtcNow().ToUnixTimeSeconds();
            if (window != _window)
            {
                _window = window;
                _inWindow = 0;
            }
            if (++_inWindow > PerSecond)
            {
                return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.Sns, 429, "Throttled", "Throttled request."));
            }
        }
        Interlocked.Increment(ref _passed);
        return ValueTask.FromResult<RuleAnswer?>(null);
    }
}
