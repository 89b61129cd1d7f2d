using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SNS allows 200 filter policies per topic and 10,000 per account: past that, "it will fail when you attach the filter
/// policy in the Subscribe API call (or the SetSubscriptionAttributes API call)", while a subscription without a filter
/// policy is still created (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). The
/// refusal is 403 <c>FilterPolicyLimitExceeded</c> (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html).
/// fauxqs has no such quota.
/// </summary>
/// <remarks>
/// Subscriptions are tracked by the SubscriptionArn the emulator returns, so an Unsubscribe frees the slot. Only
/// subscriptions made through this proxy count. A repeated Subscribe that returns an ARN already counted takes no new slot.
/// </remarks>
public sealed class FilterPolicyQuotaRule(int perTopic = 200, int perAccount = 10_000) : AwsRule
{
    private readonly ConcurrentDictionary<string, string> _topicBySubscription = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int PerTopic { get; } = perTopic >= 0 ? perTopic : throw new ArgumentOutOfRangeException(nameof(perTopic));

    public int PerAccount { get; } = perAccount >= 0 ? perAccount : throw new ArgumentOutOfRangeException(nameof(perAccount));

    /// <summary>Filter policies in use on every topic.</summary>
    public int Total => _topicBySubscription.Count;

    /// <summary>Filter policies in use on <paramref name="topicArn"/>.</summary>
    public int InUse(string topicArn) => _topicBySubscription.Values.Count(t => t == topicArn);

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sns || FilteredTopic(request) is not { } topic)
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        lock (_gate)
        {
            var existing = request.Form("SubscriptionArn") is { } arn && _topicBySubscription.ContainsKey(arn);
            if (!existing && (InUse(topic) >= PerTopic || _topicBySubscription.Count >= PerAccount))
            {
                return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.Sns, 403, "FilterPolicyLimitExceeded",
                    "Filter policy limit exceeded"));
            }
        }
        return ValueTask.FromResult<RuleAnswer?>(null);
    }

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service != AwsService.Sns || answer.Status != 200)
        {
            return answer;
        }
        if (request.Operation == "Unsubscribe" && request.Form("SubscriptionArn") is { } gone)
        {
            _topicBySubscription.TryRemove(gone, out _);
        }
        else if (FilteredTopic(request) is { } topic)
        {
            var arn = request.Operation == "Subscribe" ? Element(answer.Text, "SubscriptionArn") : request.Form("SubscriptionArn");
            if (arn is not null)
            {
                _topicBySubscription[arn] = topic;
            }
        }
        return answer;
    }

    /// <summary>The topic a Subscribe or SetSubscriptionAttributes attaches a filter policy on, or null.</summary>
    private static string? FilteredTopic(RuleRequest request)
    {
        var form = request.FormValues();
        switch (request.Operation)
        {
            case "Subscribe":
                var policyKey = form.FirstOrDefault(kv => kv.Key.StartsWith("Attributes.entry.", StringComparison.Ordinal) && kv.Value == "FilterPolicy").Key;
                return policyKey is not null && policyKey.EndsWith(".key", StringComparison.Ordinal) ? request.Form("TopicArn") : null;
            case "SetSubscriptionAttributes" when request.Form("AttributeName") == "FilterPolicy" && request.Form("SubscriptionArn") is { } arn:
                // A subscription ARN is the topic ARN followed by ":" and the subscription's id.
                return arn[..arn.LastIndexOf(':')];
            default:
                return null;
        }
    }

    private static string? Element(string xml, string name)
    {
        var start = xml.IndexOf("<" + name + ">", StringComparison.Ordinal);
        var end = xml.IndexOf("</" + name + ">", StringComparison.Ordinal);
        return start >= 0 && end > start ? xml[(start + name.Length + 2)..end] : null;
    }
}
