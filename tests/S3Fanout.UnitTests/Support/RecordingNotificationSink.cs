using System.Collections.Concurrent;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.UnitTests.Support;

/// <summary>A notification sink that keeps what it is sent, and fails the sends a test queues up.</summary>
internal sealed class RecordingNotificationSink(ConcurrentQueue<string>? journal = null) : INotificationSink
{
    public string? Target => "recording";

    public ConcurrentQueue<Notification> Sent { get; } = new();

    /// <summary>Thrown by the next sends, in order; the notifications they carried are not kept.</summary>
    public ConcurrentQueue<Exception> Failures { get; } = new();

    public Task SendAsync(Notification notification, CancellationToken ct)
    {
        if (Failures.TryDequeue(out var failure))
        {
            throw failure;
        }
        Sent.Enqueue(notification);
        journal?.Enqueue("notify " + NotificationCodec.TypeName(notification));
        return Task.CompletedTask;
    }
}
