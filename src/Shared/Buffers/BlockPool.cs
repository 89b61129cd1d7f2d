using System.Collections.Concurrent;

namespace S3Fanout.Shared.Buffers;

/// <summary>
/// Fixed-size blocks reused across segments, so a long stream allocates its working set once.
/// Segments are lists of blocks, which also lifts .NET's 2 GiB array limit for segments up to S3's 5 GiB.
/// How many blocks are live is bounded by the callers' segment slots, not here.
/// </summary>
internal sealed class BlockPool(int blockSize)
{
    private readonly ConcurrentBag<byte[]> _free = [];

    public int BlockSize { get; } = blockSize;

    public byte[] Rent() => _free.TryTake(out var block) ? block : GC.AllocateUninitializedArray<byte>(BlockSize);

    public void Return(byte[] block) => _free.Add(block);
}
