using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>Opens the real sink (e.g. creates the SNS topic) only after the destination was checked, so a bad bucket fails first.</summary>
internal sealed class DeferredSink(Func<CancellationToken, Task<INotificationSink>> open) : INotificationSink
{
    private INotificationSink? _inner;

    public string? Target => _inner?.Target;

    public async Task OpenAsync(CancellationToken ct) => _inner = await open(ct).ConfigureAwait(false);

    public Task SendAsync(Notification notification, CancellationToken ct) =>
        (_inner ?? throw new InvalidOperationException("sink not opened")).SendAsync(notification, ct);
}
