using S3Fanout.Shared.Aws.Sns;

namespace S3Fanout.Shared.Notifications;

/// <summary>
/// The one way a channel's SNS topic is opened, by the publisher, the one-shot subscriber and the mirror service alike.
/// </summary>
/// <remarks>
/// Every role creates the topic with the same request, without tags: SNS's CreateTopic returns the existing topic
/// only when the request matches it, and one that carries other tags fails with "Topic already exists with different
/// tags" (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html), so a publisher that tagged a topic which a
/// subscriber had created untagged could never broadcast on that bucket. Without tags no role needs sns:TagResource.
/// </remarks>
internal static class ChannelTopic
{
    /// <param name="topic">A topic name (created if missing) or ARN (used as it is).</param>
    /// <returns>The topic's ARN.</returns>
    public static async Task<string> OpenAsync(ISnsClient sns, string topic, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sns);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return topic.StartsWith("arn:", StringComparison.Ordinal)
            ? topic
            : await sns.CreateTopicAsync(topic, tags: null, ct).ConfigureAwait(false);
    }
}
