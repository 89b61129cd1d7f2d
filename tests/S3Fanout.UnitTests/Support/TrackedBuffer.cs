using System.Buffers;
using System.Runtime.InteropServices;
using S3Fanout.Shared.Buffers;

namespace S3Fanout.UnitTests.Support;

/// <summary>An in-memory segment buffer that records whether it was disposed (released).</summary>
internal sealed class TrackedBuffer : SegmentBuffer
{
    private readonly List<byte> _data = [];
    private byte[] _readSpace = [];

    public TrackedBuffer(ReadOnlySpan<byte> data = default) => Append(data);

    public int DisposeCount { get; private set; }

    public bool IsDisposed => DisposeCount > 0;

    public byte[] Bytes => [.. _data];

    public override void Append(ReadOnlySpan<byte> data)
    {
        _data.AddRange(data);
        Length = _data.Count;
    }

    public override async Task<long> AppendFromAsync(Stream source, long max, Action<ReadOnlySpan<byte>> observe, CancellationToken ct)
    {
        var chunk = new byte[4096];
        long total = 0;
        while (total < max)
        {
            var n = await source.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, max - total)), ct);
            if (n == 0)
            {
                break;
            }
            observe(chunk.AsSpan(0, n));
            Append(chunk.AsSpan(0, n));
            total += n;
        }
        return total;
    }

    public override Memory<byte> GetReadSpace(int max) => _readSpace = new byte[max];

    public override void Commit(int count) => Append(_readSpace.AsSpan(0, count));

    public override IMemoryOwner<byte> DetachReadSpace()
    {
        var space = _readSpace;
        _readSpace = [];
        return MemoryPool<byte>.Shared.Rent(space.Length);
    }

    public override void ForEachChunk(Action<ReadOnlySpan<byte>> visit) => visit(CollectionsMarshal.AsSpan(_data));

    public override Stream OpenRead() => new MemoryStream(Bytes, writable: false);

    public override async Task CopyToAsync(Stream destination, CancellationToken ct) => await destination.WriteAsync(Bytes, ct);

    public override void Dispose() => DisposeCount++;
}
