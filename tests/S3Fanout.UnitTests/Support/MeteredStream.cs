namespace S3Fanout.UnitTests.Support;

/// <summary>Serves fixed content at once, in reads as big as the reader asks, and counts how many bytes the reader asked for.</summary>
internal sealed class MeteredStream(byte[] content) : ReadOnlyTestStream
{
    private readonly Lock _gate = new();
    private readonly List<(long Threshold, TaskCompletionSource Reached)> _waiters = [];
    private readonly List<(Memory<byte> Into, int Served)> _reads = [];
    private long _requested;
    private int _served;

    /// <summary>Every read so far: the memory the reader gave it and how many bytes it put there.</summary>
    public IReadOnlyList<(Memory<byte> Into, int Served)> Reads
    {
        get
        {
            lock (_gate)
            {
                return [.. _reads];
            }
        }
    }

    /// <summary>The sum of the buffer sizes of every read so far, including reads at end of input.</summary>
    public long BytesRequested
    {
        get
        {
            lock (_gate)
            {
                return _requested;
            }
        }
    }

    /// <summary>Completes once the reader has asked for at least <paramref name="bytes"/> bytes in total.</summary>
    public Task WhenRequestedAtLeast(long bytes)
    {
        lock (_gate)
        {
            if (_requested >= bytes)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((bytes, reached));
            return reached.Task;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int n;
        lock (_gate)
        {
            _requested += buffer.Length;
            n = Math.Min(buffer.Length, content.Length - _served);
            content.AsSpan(_served, n).CopyTo(buffer.Span);
            _served += n;
            _reads.Add((buffer, n));
            foreach (var waiter in _waiters.Where(w => _requested >= w.Threshold).ToList())
            {
                waiter.Reached.SetResult();
                _waiters.Remove(waiter);
            }
        }
        return ValueTask.FromResult(n);
    }
}
