using System.Buffers;

namespace S3Fanout.Shared.Buffers;

internal sealed class MemorySegmentBuffer(BlockPool pool) : SegmentBuffer
{
    private readonly List<byte[]> _blocks = [];

    public override void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var (block, offset) = CurrentBlock();
            var n = Math.Min(data.Length, block.Length - offset);
            data[..n].CopyTo(block.AsSpan(offset));
            Length += n;
            data = data[n..];
        }
    }

    public override async Task<long> AppendFromAsync(Stream source, long max, Action<ReadOnlySpan<byte>> observe, CancellationToken ct)
    {
        long total = 0;
        while (total < max)
        {
            var (block, offset) = CurrentBlock();
            var want = (int)Math.Min(block.Length - offset, max - total);
            var n = await source.ReadAsync(block.AsMemory(offset, want), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            observe(block.AsSpan(offset, n));
            Length += n;
            total += n;
        }
        return total;
    }

    public override Memory<byte> GetReadSpace(int max)
    {
        var (block, offset) = CurrentBlock();
        return block.AsMemory(offset, Math.Min(max, block.Length - offset));
    }

    public override void Commit(int count) => Length += count;

    /// <summary>The block being read into leaves this buffer; the bytes it already held here stay, in a copy (at most one block).</summary>
    public override IMemoryOwner<byte> DetachReadSpace()
    {
        var (block, offset) = CurrentBlock();
        if (offset == 0)
        {
            _blocks.RemoveAt(_blocks.Count - 1);
        }
        else
        {
            var kept = pool.Rent();
            block.AsSpan(0, offset).CopyTo(kept);
            _blocks[^1] = kept;
        }
        return new PooledBlock(pool, block);
    }

    private (byte[] Block, int Offset) CurrentBlock()
    {
        var offset = (int)(Length % pool.BlockSize);
        if (offset == 0 && Length / pool.BlockSize == _blocks.Count)
        {
            _blocks.Add(pool.Rent());
        }
        return (_blocks[^1], offset);
    }

    public override void ForEachChunk(Action<ReadOnlySpan<byte>> visit)
    {
        var left = Length;
        foreach (var block in _blocks)
        {
            var n = (int)Math.Min(block.Length, left);
            visit(block.AsSpan(0, n));
            left -= n;
        }
    }

    public override Stream OpenRead() => new BlockReadStream(_blocks, Length);

    public override async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        var left = Length;
        foreach (var block in _blocks)
        {
            var n = (int)Math.Min(block.Length, left);
            await destination.WriteAsync(block.AsMemory(0, n), ct).ConfigureAwait(false);
            left -= n;
        }
    }

    public override void Dispose()
    {
        foreach (var block in _blocks)
        {
            pool.Return(block);
        }
        _blocks.Clear();
        Length = 0;
    }

    /// <summary>A block that left its buffer; disposing it returns it to the pool.</summary>
    private sealed class PooledBlock(BlockPool pool, byte[] block) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => block;

        public void Dispose() => pool.Return(block);
    }
}
