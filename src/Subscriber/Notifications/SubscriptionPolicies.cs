using System.Text.Json;
using System.Text.Json.Nodes;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Notifications;

/// <summary>The JSON policies of a subscriber: its subscriptions' filter policies, and its queue's policy (written and read back).</summary>
internal static class SubscriptionPolicies
{
    /// <summary>
    /// The filter policy a one-shot subscriber subscribes with: none unless <c>--filter-policy</c>. Without one a
    /// subscription is one Subscribe call, takes none of SNS's 200 filter policies a topic (10,000 an account) and has no
    /// filter to propagate (up to 15 minutes: https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html);
    /// the receiver's check of bucket and broadcast keeps only this subscriber's notifications.
    /// </summary>
    public static string? ForSubscriber(SubscriberOptions options) =>
        options.FilterPolicy ? FilterFor(options.Location.Prefix, isPrefix: false) : null;

    /// <summary>Filter policy for one broadcast, or for every broadcast under any of the prefixes (the fleet service).</summary>
    public static string FilterFor(string broadcast, bool isPrefix) => FilterForPrefixes(isPrefix ? [broadcast] : [], isPrefix ? [] : [broadcast]);

    public static string FilterForPrefixes(IEnumerable<string> prefixes, IEnumerable<string> exact) => new JsonObject
    {
        [NotificationCodec.BroadcastAttribute] = new JsonArray([
            .. exact.Select(e => (JsonNode)PolicyString(e)),
            .. prefixes.Select(p => new JsonObject { ["prefix"] = PolicyString(p) }),
        ]),
    }.ToJsonString();

    /// <summary>
    /// A broadcast name as a filter-policy string. SNS matches attribute-based policies against the attribute value with
    /// its double quotes and backslashes escaped, so those two must be escaped twice in the policy, or the policy never
    /// matches (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html, "Policy constraints
    /// for attribute-based filtering"). Writing the JSON adds the second escape.
    /// </summary>
    private static string PolicyString(string name) =>
        name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>The queue policy: only the given topics may send, and only to this queue.</summary>
    public static string OnlyFromTopics(string queueArn, IReadOnlyList<string> topicArns) => new JsonObject
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(new JsonObject
        {
            ["Sid"] = "OnlyFromS3FanoutTopics",
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = "sns.amazonaws.com" },
            ["Action"] = "sqs:SendMessage",
            ["Resource"] = queueArn,
            ["Condition"] = new JsonObject
            {
                ["ArnEquals"] = new JsonObject
                {
                    ["aws:SourceArn"] = topicArns.Count == 1 ? topicArns[0] : new JsonArray([.. topicArns.Select(t => (JsonNode)t)]),
                },
            },
        }),
    }.ToJsonString();

    /// <summary>The topics a queue policy written by <see cref="OnlyFromTopics"/> lets send (none for a queue that was never subscribed).</summary>
    public static IReadOnlyList<string> TopicsAllowedBy(string? policy)
    {
        if (string.IsNullOrEmpty(policy))
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(policy);
            var topics = new List<string>();
            foreach (var statement in doc.RootElement.TryGetProperty("Statement", out var s) && s.ValueKind == JsonValueKind.Array ? s.EnumerateArray() : default)
            {
                if (statement.TryGetProperty("Condition", out var c) && c.TryGetProperty("ArnEquals", out var arnEquals)
                    && arnEquals.TryGetProperty("aws:SourceArn", out var source))
                {
                    topics.AddRange(source.ValueKind == JsonValueKind.Array
                        ? source.EnumerateArray().Select(t => t.GetString() ?? "")
                        : [source.GetString() ?? ""]);
                }
            }
            return [.. topics.Where(t => t.StartsWith("arn:", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
