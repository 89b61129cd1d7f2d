namespace S3Fanout.Shared.Buffers;

/// <summary>A seekable, read-only stream over a list of equal-size blocks; no copy of the segment is made.</summary>
internal sealed class BlockReadStream(IReadOnlyList<byte[]> blocks, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = 0;
        while (!buffer.IsEmpty && _position < length)
        {
            var blockSize = blocks[0].Length;
            var block = blocks[(int)(_position / blockSize)];
            var inBlock = (int)(_position % blockSize);
            var n = (int)Math.Min(Math.Min(buffer.Length, blockSize - inBlock), length - _position);
            block.AsSpan(inBlock, n).CopyTo(buffer);
            buffer = buffer[n..];
            _position += n;
            read += n;
        }
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
