namespace S3Fanout.UnitTests.Support;

/// <summary>An output that accepts <paramref name="acceptBytes"/> bytes, then fails writes (and flushes) with an IOException, like a closed pipe.</summary>
internal sealed class FailingSink(int acceptBytes, bool failFlush = false) : WriteOnlyTestStream
{
    private readonly MemoryStream _accepted = new();

    public byte[] Accepted => _accepted.ToArray();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_accepted.Length + buffer.Length > acceptBytes)
        {
            throw new IOException("Broken pipe");
        }
        _accepted.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        if (failFlush)
        {
            throw new IOException("No space left on device");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _accepted.Dispose();
        }
        base.Dispose(disposing);
    }
}
