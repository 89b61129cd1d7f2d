namespace S3Fanout.UnitTests.Support;

/// <summary>An output whose writes wait until <see cref="Open"/> is called: a slow pipe, held still by the test.</summary>
internal sealed class GatedSink : WriteOnlyTestStream
{
    private readonly MemoryStream _written = new();
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public byte[] Written
    {
        get
        {
            lock (_written)
            {
                return _written.ToArray();
            }
        }
    }

    /// <summary>Completes when the first write has begun (and is held at the gate).</summary>
    public Task FirstWriteStarted => _firstWrite.Task;

    public void Open() => _gate.TrySetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _firstWrite.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        lock (_written)
        {
            _written.Write(buffer.Span);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _written.Dispose();
        }
        base.Dispose(disposing);
    }
}
