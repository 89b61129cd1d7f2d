namespace S3Fanout.UnitTests.Support;

/// <summary>An output that accepts <paramref name="acceptBytes"/> bytes, then fails writes (and flushes) with an IOException, like a closed pipe.</summary>
internal sealed class FailingSink(int acceptBytes, bool failFlush = false) : Stream
{
    private readonly MemoryStream _accepted = new();

    public byte[] Accepted => _accepted.ToArray();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_accepted.Length + buffer.Length > acceptBytes)
        {
            throw new IOException("Broken pipe");
        }
        _accepted.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        if (failFlush)
        {
            throw new IOException("No space left on device");
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _accepted.Dispose();
        }
        base.Dispose(disposing);
    }
}
