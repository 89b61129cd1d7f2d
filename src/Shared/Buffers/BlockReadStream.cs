namespace S3Fanout.Shared.Buffers;

/// <summary>A seekable, read-only stream over a list of equal-size blocks; no copy of the segment is made.</summary>
internal sealed class BlockReadStream(IReadOnlyList<byte[]> blocks, long length) : ReadOnlySeekableStream(length)
{
    protected override int ReadAt(long position, Span<byte> buffer)
    {
        var read = 0;
        while (!buffer.IsEmpty)
        {
            var blockSize = blocks[0].Length;
            var block = blocks[(int)(position / blockSize)];
            var inBlock = (int)(position % blockSize);
            var n = Math.Min(buffer.Length, blockSize - inBlock);
            block.AsSpan(inBlock, n).CopyTo(buffer);
            buffer = buffer[n..];
            position += n;
            read += n;
        }
        return read;
    }
}
