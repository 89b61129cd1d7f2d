using System.Buffers;

namespace S3Fanout.Shared.Buffers;

/// <summary>The bytes of one segment, in memory or staged in a file (-p). Disposing releases the memory or deletes the file.</summary>
internal abstract class SegmentBuffer : IDisposable
{
    public long Length { get; protected set; }

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>Copies up to <paramref name="max"/> bytes from <paramref name="source"/>, feeding each chunk to <paramref name="observe"/>.</summary>
    public abstract Task<long> AppendFromAsync(Stream source, long max, Action<ReadOnlySpan<byte>> observe, CancellationToken ct);

    /// <summary>
    /// Memory a read may fill straight away (1 to <paramref name="max"/> bytes, the buffer's own block when it is in memory);
    /// <see cref="Commit"/> then appends what the read put at its start. One read at a time.
    /// </summary>
    public abstract Memory<byte> GetReadSpace(int max);

    /// <summary>Appends the first <paramref name="count"/> bytes of the last <see cref="GetReadSpace"/>.</summary>
    public abstract void Commit(int count);

    /// <summary>
    /// Lets the buffer be sealed at its length while a read into the last <see cref="GetReadSpace"/> is still under way:
    /// afterwards the buffer never touches that memory again (its own bytes are kept), and the memory is the caller's,
    /// to be given back by disposing the owner once the read finished.
    /// </summary>
    public abstract IMemoryOwner<byte> DetachReadSpace();

    /// <summary>Calls <paramref name="visit"/> for each stored chunk, in order.</summary>
    public abstract void ForEachChunk(Action<ReadOnlySpan<byte>> visit);

    /// <summary>A seekable read-only view; the SDK may rewind it to retry a request.</summary>
    public abstract Stream OpenRead();

    /// <summary>Writes the contents to <paramref name="destination"/>.</summary>
    public abstract Task CopyToAsync(Stream destination, CancellationToken ct);

    public abstract void Dispose();
}
