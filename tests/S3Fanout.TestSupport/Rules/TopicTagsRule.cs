using System.Collections.Concurrent;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SNS CreateTopic is idempotent only for the same request: a CreateTopic of an existing name that carries tags other
/// than the topic's answers 400 <c>InvalidParameter</c> "Invalid parameter: Tags Reason: Topic already exists with
/// different tags" (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: "if the requester already owns a
/// topic with the specified name, that topic's ARN is returned"; the tags, set on creation, need sns:TagResource).
/// fauxqs instead merges new tags into the topic, so a publisher that tags a topic a subscriber created untagged
/// passes there and fails on AWS.
/// </summary>
/// <remarks>
/// The rule remembers the tags of the first CreateTopic of each name that passes through it (the topic's creation, since
/// every test uses fresh names). A later CreateTopic that carries tags is compared with them; one without tags returns
/// the topic as it is.
/// </remarks>
public sealed class TopicTagsRule : AwsRule
{
    private readonly ConcurrentDictionary<string, string> _tagsByTopic = new(StringComparer.Ordinal);

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sns || request.Operation != "CreateTopic" || request.Form("Name") is not { } name)
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        var tags = Tags(request);
        var existing = _tagsByTopic.GetOrAdd(name, tags);
        if (tags.Length > 0 && !string.Equals(existing, tags, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.Sns, 400, "InvalidParameter",
                "Invalid parameter: Tags Reason: Topic already exists with different tags"));
        }
        return ValueTask.FromResult<RuleAnswer?>(null);
    }

    /// <summary>The request's tags in a canonical form ("" for none): Tags.member.N.Key / .Value, sorted by key.</summary>
    private static string Tags(RuleRequest request)
    {
        var form = request.FormValues();
        var keys = form.Where(kv => kv.Key.StartsWith("Tags.member.", StringComparison.Ordinal) && kv.Key.EndsWith(".Key", StringComparison.Ordinal));
        return string.Join('\n', keys
            .Select(kv => (Key: kv.Value, Value: form.FirstOrDefault(v => v.Key == kv.Key[..^4] + ".Value").Value ?? ""))
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => t.Key + "=" + t.Value));
    }
}
