using System.Collections.Concurrent;
using System.Globalization;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// The AWS rules a test switches on for one <see cref="Faults.FaultProxy"/> (<c>proxy.Rules.Add(new …Rule())</c>).
/// Rules run in the order added; the first that answers a request wins, and every rule may rewrite the answer after.
/// Each refusal is counted by its error code, so a test can assert that the rule really fired.
/// </summary>
public sealed class AwsRules
{
    private readonly List<AwsRule> _rules = [];
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, int> _refusals = new(StringComparer.Ordinal);

    public T Add<T>(T rule)
        where T : AwsRule
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_gate)
        {
            _rules.Add(rule);
        }
        return rule;
    }

    public bool IsEmpty
    {
        get
        {
            lock (_gate)
            {
                return _rules.Count == 0;
            }
        }
    }

    /// <summary>How many answers carried this error code (given by a rule, or rewritten into it).</summary>
    public int Refusals(string code) => _refusals.GetValueOrDefault(code);

    /// <summary>"FilterPolicyLimitExceeded 3, Throttled 12", for failure messages.</summary>
    public override string ToString() =>
        string.Join(", ", _refusals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));

    /// <summary>The first lock key a rule asks for (see <see cref="AwsRule.LockKey"/>).</summary>
    internal string? LockKey(RuleRequest request) => Snapshot().Select(r => r.LockKey(request)).FirstOrDefault(k => k is not null);

    internal async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        foreach (var rule in Snapshot())
        {
            if (await rule.BeforeAsync(request).ConfigureAwait(false) is { } answer)
            {
                Count(answer);
                return answer;
            }
        }
        return null;
    }

    internal RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        var status = answer.Status;
        foreach (var rule in Snapshot())
        {
            answer = rule.After(request, answer);
        }
        if (answer.Status != status)
        {
            Count(answer);
        }
        return answer;
    }

    private AwsRule[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _rules];
        }
    }

    private void Count(RuleAnswer answer)
    {
        if (answer.Status < 300)
        {
            return; // a rule that answered in the endpoint's place with a success (e.g. a rewritten request) refused nothing
        }
        var code = ErrorCode(answer) ?? answer.Status.ToString(CultureInfo.InvariantCulture);
        _refusals.AddOrUpdate(code, 1, (_, n) => n + 1);
    }

    /// <summary>The error code of an S3/SNS XML or SQS JSON error answer.</summary>
    internal static string? ErrorCode(RuleAnswer answer)
    {
        if (answer.Status < 300)
        {
            return null;
        }
        var text = answer.Text;
        var start = text.IndexOf("<Code>", StringComparison.Ordinal);
        if (start >= 0)
        {
            var end = text.IndexOf("</Code>", start, StringComparison.Ordinal);
            return end > start ? text[(start + 6)..end] : null;
        }
        var type = text.IndexOf('#', StringComparison.Ordinal);
        if (text.Contains("__type", StringComparison.Ordinal) && type >= 0)
        {
            var end = text.IndexOf('"', type);
            return end > type ? text[(type + 1)..end] : null;
        }
        return null;
    }
}
