using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.Shared.Notifications;
using S3Fanout.Subscriber.Notifications;

namespace S3Fanout.Subscriber.Fleet;

internal sealed record OrphanQueue(string QueueUrl, DateTimeOffset LastAlive, string? Host, string? Pid, bool Deleted);

/// <summary>
/// Finds subscriber queues of a bucket whose owner stopped refreshing their alive tag (a killed subscriber leaves
/// its queue behind) and deletes them. Queues without S3Fanout tags are never touched.
/// </summary>
internal sealed class QueueJanitor(IAmazonSQS sqs)
{
    public async Task<IReadOnlyList<OrphanQueue>> SweepAsync(string bucket, TimeSpan olderThan, bool dryRun, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var result = new List<OrphanQueue>();
        string? token = null;
        do
        {
            var page = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = ChannelNames.QueuePrefix(bucket), MaxResults = 1000, NextToken = token }, ct).ConfigureAwait(false);
            foreach (var url in page.QueueUrls ?? [])
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
                if (!dryRun)
                {
                    try
                    {
                        await sqs.DeleteQueueAsync(url, ct).ConfigureAwait(false);
                    }
                    catch (QueueDoesNotExistException)
                    {
                        // Deleted meanwhile by its owner or another janitor.
                    }
                }
                result.Add(new OrphanQueue(url, alive, tags.GetValueOrDefault(QueueTags.Host) is { } host ? QueueTags.Text(host) : null, tags.GetValueOrDefault(QueueTags.Pid), !dryRun));
            }
            token = page.NextToken;
        }
        while (!string.IsNullOrEmpty(token));
        return result;
    }
}
