namespace S3Fanout.UnitTests.Support;

/// <summary>
/// An input whose k-th read (from 0) returns what the test supplies for step k, and waits until then.
/// Supplying an empty array, or running out of steps, is end of input.
/// </summary>
internal sealed class ScriptedStream : ReadOnlyTestStream
{
    private readonly TaskCompletionSource<byte[]>[] _data;
    private readonly TaskCompletionSource[] _started;
    private int _reads;

    public ScriptedStream(int steps)
    {
        _data = [.. Enumerable.Range(0, steps).Select(_ => new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously))];
        _started = [.. Enumerable.Range(0, steps).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
    }

    public int Reads => Volatile.Read(ref _reads);

    public void Supply(int step, ReadOnlySpan<byte> data) => _data[step].SetResult(data.ToArray());

    public void Fail(int step, Exception error) => _data[step].SetException(error);

    /// <summary>Completes when read <paramref name="step"/> has been asked for.</summary>
    public Task ReadStarted(int step) => _started[step].Task;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var step = Interlocked.Increment(ref _reads) - 1;
        if (step >= _data.Length)
        {
            return 0;
        }
        _started[step].SetResult();
        var data = await _data[step].Task.WaitAsync(cancellationToken);
        if (data.Length > buffer.Length)
        {
            throw new InvalidOperationException($"step {step} supplies {data.Length} bytes but the reader asked for {buffer.Length}");
        }
        data.CopyTo(buffer);
        return data.Length;
    }
}
