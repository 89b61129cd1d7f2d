using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;
using S3Fanout.Subscriber.Notifications;

namespace S3Fanout.Subscriber.Fleet;

internal sealed record OrphanQueue(string QueueUrl, DateTimeOffset LastAlive, string? Host, string? Pid, int Unsubscribed, bool Deleted);

/// <summary>
/// Finds subscriber queues of a bucket whose owner stopped refreshing their alive tag (a killed subscriber leaves
/// its queue behind), removes their SNS subscriptions, then deletes them. Queues without S3Fanout tags are never touched.
/// </summary>
/// <remarks>
/// A subscription outlives its queue on SNS, and each one with a filter policy holds one of the topic's 200 and the
/// account's 10,000 filter policies (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html),
/// so deleting only the queue would use the quota up. The topics come from the queue's own policy (the topics allowed to
/// send to it); their subscriptions whose endpoint is the queue's ARN are found with ListSubscriptionsByTopic, page by
/// page (https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html).
/// </remarks>
internal sealed class QueueJanitor(IAmazonSQS sqs, ISnsClient sns)
{
    public async Task<IReadOnlyList<OrphanQueue>> SweepAsync(string bucket, TimeSpan olderThan, bool dryRun, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var result = new List<OrphanQueue>();
        await foreach (var url in ChannelQueues.ListAsync(sqs, bucket, ct).ConfigureAwait(false))
        {
            var tags = (await sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url }, ct).ConfigureAwait(false)).Tags ?? [];
            if (!tags.TryGetValue(QueueTags.Bucket, out var tagged) || tagged != bucket)
            {
                continue;
            }
            var aliveText = tags.GetValueOrDefault(QueueTags.Alive) ?? tags.GetValueOrDefault(QueueTags.Created);
            if (!long.TryParse(aliveText, NumberStyles.None, CultureInfo.InvariantCulture, out var aliveSeconds))
            {
                continue;
            }
            var alive = DateTimeOffset.FromUnixTimeSeconds(aliveSeconds);
            if (now - alive < olderThan)
            {
                continue;
            }
            try
            {
                var subscriptions = await SubscriptionsOfAsync(url, ct).ConfigureAwait(false);
                if (!dryRun)
                {
                    foreach (var arn in subscriptions)
                    {
                        await UnsubscribeAsync(arn, ct).ConfigureAwait(false);
                    }
                    await sqs.DeleteQueueAsync(url, ct).ConfigureAwait(false);
                }
                result.Add(new OrphanQueue(url, alive, tags.GetValueOrDefault(QueueTags.Host) is { } host ? QueueTags.Text(host) : null,
                    tags.GetValueOrDefault(QueueTags.Pid), subscriptions.Count, !dryRun));
            }
            catch (QueueDoesNotExistException)
            {
                // Deleted meanwhile by its owner or another janitor (which removed its subscriptions too).
            }
        }
        return result;
    }

    /// <summary>The ARNs of the SNS subscriptions that deliver to the queue at <paramref name="url"/>.</summary>
    private async Task<List<string>> SubscriptionsOfAsync(string url, CancellationToken ct)
    {
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["QueueArn", "Policy"] }, ct).ConfigureAwait(false);
        var queueArn = attributes.QueueARN;
        var found = new List<string>();
        foreach (var topicArn in SubscriptionPolicies.TopicsAllowedBy(attributes.Policy))
        {
            string? next = null;
            do
            {
                SnsSubscriptionPage page;
                try
                {
                    page = await sns.ListSubscriptionsByTopicAsync(topicArn, next, ct).ConfigureAwait(false);
                }
                catch (SnsException e) when (AwsErrors.IsNotFound(e))
                {
                    break; // the topic is gone, and its subscriptions with it
                }
                found.AddRange(page.Subscriptions
                    .Where(s => s.Protocol == "sqs" && s.Endpoint == queueArn && s.SubscriptionArn.StartsWith("arn:", StringComparison.Ordinal))
                    .Select(s => s.SubscriptionArn));
                next = page.NextToken;
            }
            while (next is not null);
        }
        return found;
    }

    private async Task UnsubscribeAsync(string subscriptionArn, CancellationToken ct)
    {
        try
        {
            await sns.UnsubscribeAsync(subscriptionArn, ct).ConfigureAwait(false);
        }
        catch (SnsException e) when (AwsErrors.IsNotFound(e))
        {
            // Removed meanwhile.
        }
    }
}
