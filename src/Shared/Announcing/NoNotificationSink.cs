using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>--notify none: pure S3; subscribers follow the manifest.</summary>
internal sealed class NoNotificationSink : INotificationSink
{
    public string? Target => null;

    public Task SendAsync(Notification notification, CancellationToken ct) => Task.CompletedTask;
}
