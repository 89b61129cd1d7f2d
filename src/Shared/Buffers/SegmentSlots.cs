namespace S3Fanout.Shared.Buffers;

/// <summary>
/// Bounds how many segment buffers exist at once (workers + 1 on the publisher), so memory stays
/// about (n+1) × segment size whatever the stream length.
/// </summary>
internal sealed class SegmentSlots(int count) : IDisposable
{
    private readonly SemaphoreSlim _free = new(count, count);

    public Task AcquireAsync(CancellationToken ct) => _free.WaitAsync(ct);

    public void Release() => _free.Release();

    public void Dispose() => _free.Dispose();
}
