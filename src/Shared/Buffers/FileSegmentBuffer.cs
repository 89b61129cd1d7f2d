using System.Buffers;

namespace S3Fanout.Shared.Buffers;

/// <summary>A segment staged in a file under the -p directory, as s3pipe2 does; the file is deleted on dispose.
/// Created new (never an existing file), inside the private staging folder, and read back only through its own handle.</summary>
internal sealed class FileSegmentBuffer : SegmentBuffer
{
    private const int ChunkSize = 1024 * 1024;
    private readonly string _path;
    private readonly FileStream _file;
    private byte[]? _readChunk;

    public FileSegmentBuffer(string path)
    {
        _path = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 0, FileOptions.DeleteOnClose);
    }

    public override void Append(ReadOnlySpan<byte> data)
    {
        _file.Seek(0, SeekOrigin.End);
        _file.Write(data);
        Length += data.Length;
    }

    /// <summary>A staged file is read into through a chunk of this buffer's own, then written to the file.</summary>
    public override Memory<byte> GetReadSpace(int max)
    {
        _readChunk ??= new byte[ChunkSize];
        return _readChunk.AsMemory(0, Math.Min(max, ChunkSize));
    }

    public override void Commit(int count) => Append(_readChunk.AsSpan(0, count));

    public override IMemoryOwner<byte> DetachReadSpace()
    {
        var chunk = _readChunk ?? new byte[ChunkSize];
        _readChunk = null;
        return new DetachedChunk(chunk);
    }

    public override async Task<long> AppendFromAsync(Stream source, long max, Action<ReadOnlySpan<byte>> observe, CancellationToken ct)
    {
        var chunk = new byte[ChunkSize];
        long total = 0;
        _file.Seek(0, SeekOrigin.End);
        while (total < max)
        {
            var n = await source.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, max - total)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            observe(chunk.AsSpan(0, n));
            await _file.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
            Length += n;
            total += n;
        }
        return total;
    }

    public override void ForEachChunk(Action<ReadOnlySpan<byte>> visit)
    {
        var chunk = new byte[ChunkSize];
        _file.Flush();
        for (long pos = 0; pos < Length;)
        {
            var n = RandomAccess.Read(_file.SafeFileHandle, chunk.AsSpan(0, (int)Math.Min(chunk.Length, Length - pos)), pos);
            if (n == 0)
            {
                throw new IOException($"staged segment {_path} is shorter than written");
            }
            visit(chunk.AsSpan(0, n));
            pos += n;
        }
    }

    /// <summary>Reads through the handle that wrote (and so hashed) the bytes, never the path, which others might swap.</summary>
    public override Stream OpenRead()
    {
        _file.Flush();
        return new HandleReadStream(_file.SafeFileHandle, Length);
    }

    public override async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        await using var read = OpenRead();
        await read.CopyToAsync(destination, ChunkSize, ct).ConfigureAwait(false);
    }

    public override void Dispose() => _file.Dispose();

    /// <summary>A read chunk that left its buffer: plain memory, nothing to give back.</summary>
    private sealed class DetachedChunk(byte[] chunk) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => chunk;

        public void Dispose()
        {
        }
    }
}
