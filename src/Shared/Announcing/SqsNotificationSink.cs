using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// For accounts without SNS: sends each notification straight to every subscriber queue of the bucket's channel,
/// found by name prefix. The list is refreshed every few seconds so subscribers that join later are reached.
/// Each queue stands alone: one that refuses or fails (its subscriber then follows the manifest) is reported once and
/// never keeps the notification from the others, which are sent to <see cref="SendsInFlight"/> queues at a time, each
/// call bounded by --request-timeout (the SDK's own default would be 100 s a try).
/// </summary>
internal sealed class SqsNotificationSink(IAmazonSQS sqs, string bucket, TimeSpan requestTimeout, TimeProvider time, ILogger<SqsNotificationSink> logger) : INotificationSink
{
    private const int SendsInFlight = 16;
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, byte> _reported = new(StringComparer.Ordinal);
    private List<string> _queues = [];
    private long _listedAt = long.MinValue;

    public string? Target => ChannelNames.QueuePrefix(bucket) + "*";

    public async Task SendAsync(Notification notification, CancellationToken ct)
    {
        if (_listedAt == long.MinValue || time.GetElapsedTime(_listedAt) > Refresh)
        {
            _queues = await ListQueuesAsync(ct).ConfigureAwait(false);
            _listedAt = time.GetTimestamp();
        }
        var body = NotificationCodec.Serialize(notification);
        var attributes = NotificationCodec.Attributes(notification)
            .ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value });
        var failures = new ConcurrentQueue<Exception>();
        await Parallel.ForEachAsync(_queues, new ParallelOptions { MaxDegreeOfParallelism = SendsInFlight, CancellationToken = ct }, async (queue, token) =>
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
                attempt.CancelAfter(requestTimeout);
                await sqs.SendMessageAsync(new SendMessageRequest { QueueUrl = queue, MessageBody = body, MessageAttributes = attributes }, attempt.Token).ConfigureAwait(false);
            }
            catch (QueueDoesNotExistException)
            {
                // The subscriber left between listing and sending; nothing to deliver.
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                failures.Enqueue(e);
                if (_reported.TryAdd(queue, 0))
                {
                    logger.LogWarning("Could not notify queue {Queue} (its subscriber follows the manifest instead): {Error}", queue, AwsErrors.Describe(e));
                }
            }
        }).ConfigureAwait(false);
        if (_queues.Count > 0 && failures.Count == _queues.Count && failures.TryPeek(out var first))
        {
            // Not one queue took it: the announcer reports that (SQS itself may be failing).
            throw first;
        }
    }

    private async Task<List<string>> ListQueuesAsync(CancellationToken ct)
    {
        var queues = new List<string>();
        using var listing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        listing.CancelAfter(requestTimeout);
        await foreach (var url in ChannelQueues.ListAsync(sqs, bucket, listing.Token).ConfigureAwait(false))
        {
            queues.Add(url);
        }
        return queues;
    }
}
