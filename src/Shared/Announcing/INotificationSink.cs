using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>Where the publisher posts notifications: an SNS topic, the subscriber queues directly, or nowhere.</summary>
internal interface INotificationSink
{
    /// <summary>A short description for logs and the manifest, e.g. the topic ARN.</summary>
    string? Target { get; }

    Task SendAsync(Notification notification, CancellationToken ct);
}
