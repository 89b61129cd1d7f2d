using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

internal sealed class SnsNotificationSink(ISnsClient sns, string topicArn) : INotificationSink
{
    public string? Target => topicArn;

    public Task SendAsync(Notification notification, CancellationToken ct) =>
        sns.PublishAsync(topicArn, NotificationCodec.Serialize(notification), NotificationCodec.Attributes(notification), ct);
}
