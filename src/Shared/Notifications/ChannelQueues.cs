using System.Runtime.CompilerServices;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace S3Fanout.Shared.Notifications;

/// <summary>The subscriber queues of a bucket's channel, found by their name prefix.</summary>
internal static class ChannelQueues
{
    /// <summary>
    /// Every queue, page by page. ListQueues answers at most 1,000 queues a call, and pages (NextToken) only when
    /// MaxResults is set (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/list-all-queues-pagination.html:
    /// "If you do not set MaxResults, the response includes a maximum of 1,000 results and the NextToken value in the
    /// response is null"), so the SDK's paginator is given MaxResults and follows every page.
    /// </summary>
    public static async IAsyncEnumerable<string> ListAsync(IAmazonSQS sqs, string bucket, [EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListQueuesRequest { QueueNamePrefix = ChannelNames.QueuePrefix(bucket), MaxResults = 1000 };
        await foreach (var url in sqs.Paginators.ListQueues(request).QueueUrls.WithCancellation(ct).ConfigureAwait(false))
        {
            yield return url;
        }
    }
}
