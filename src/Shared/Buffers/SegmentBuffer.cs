namespace S3Fanout.Shared.Buffers;

/// <summary>The bytes of one segment, in memory or staged in a file (-p). Disposing releases the memory or deletes the file.</summary>
internal abstract class SegmentBuffer : IDisposable
{
    public long Length { get; protected set; }

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>Copies up to <paramref name="max"/> bytes from <paramref name="source"/>, feeding each chunk to <paramref name="observe"/>.</summary>
    public abstract Task<long> AppendFromAsync(Stream source, long max, Action<ReadOnlySpan<byte>> observe, CancellationToken ct);

    /// <summary>Calls <paramref name="visit"/> for each stored chunk, in order.</summary>
    public abstract void ForEachChunk(Action<ReadOnlySpan<byte>> visit);

    /// <summary>A seekable read-only view; the SDK may rewind it to retry a request.</summary>
    public abstract Stream OpenRead();

    /// <summary>Writes the contents to <paramref name="destination"/>.</summary>
    public abstract Task CopyToAsync(Stream destination, CancellationToken ct);

    public abstract void Dispose();
}
