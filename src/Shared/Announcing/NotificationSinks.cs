using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Notifications;

namespace S3Fanout.Shared.Announcing;

/// <summary>The one way a broadcast's channel is opened for announcing, by the publisher and by a relay alike.</summary>
internal static class NotificationSinks
{
    /// <summary>
    /// --notify none: nowhere; sqs: straight to the bucket's subscriber queues; sns: the topic (<paramref name="topic"/>,
    /// else <c>s3fanout-BUCKET</c>), created if missing. A topic that cannot be opened is one clear fatal line.
    /// </summary>
    public static async Task<INotificationSink> OpenAsync(
        NotifyMode notify, string bucket, string? topic, AwsConnection aws, ISnsClient sns, TimeSpan requestTimeout, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        switch (notify)
        {
            case NotifyMode.None:
                return new NoNotificationSink();
            case NotifyMode.Sqs:
                return new SqsNotificationSink(aws.Sqs, bucket, requestTimeout, time, loggers.CreateLogger<SqsNotificationSink>());
            default:
                var name = topic ?? ChannelNames.DefaultTopicName(bucket);
                try
                {
                    return new SnsNotificationSink(sns, await ChannelTopic.OpenAsync(sns, name, ct).ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw AwsErrors.ToFatal(e, $"cannot open SNS topic '{name}' (use --notify sqs or none for accounts without SNS)");
                }
        }
    }
}
