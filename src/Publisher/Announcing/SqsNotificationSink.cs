using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Publisher.Announcing;

/// <summary>
/// For accounts without SNS: sends each notification straight to every subscriber queue of the bucket's channel,
/// found by name prefix. The list is refreshed every few seconds so subscribers that join later are reached.
/// </summary>
internal sealed class SqsNotificationSink(IAmazonSQS sqs, string bucket, TimeProvider time) : INotificationSink
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private List<string> _queues = [];
    private long _listedAt = long.MinValue;

    public string? Target => ChannelNames.QueuePrefix(bucket) + "*";

    public async Task SendAsync(Notification notification, CancellationToken ct)
    {
        if (_listedAt == long.MinValue || time.GetElapsedTime(_listedAt) > Refresh)
        {
            var response = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = ChannelNames.QueuePrefix(bucket), MaxResults = 1000 }, ct).ConfigureAwait(false);
            _queues = response.QueueUrls ?? [];
            _listedAt = time.GetTimestamp();
        }
        var body = NotificationCodec.Serialize(notification);
        var attributes = NotificationCodec.Attributes(notification)
            .ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value });
        foreach (var queue in _queues)
        {
            try
            {
                await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queue, MessageBody = body, MessageAttributes = attributes }, ct).ConfigureAwait(false);
            }
            catch (QueueDoesNotExistException)
            {
                // The subscriber left between listing and sending; nothing to deliver.
            }
        }
    }
}
