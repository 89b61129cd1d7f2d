using System.Buffers.Binary;
using System.Security.Cryptography;

namespace S3Fanout.TestSupport;

/// <summary>
/// Deterministic pseudo-random test payload: <see cref="Length"/> bytes derived from <see cref="Seed"/>.
/// Readable as a seekable <see cref="Stream"/> without holding it in memory; the same (length, seed) always
/// gives the same bytes and the same SHA-256, on every machine.
/// </summary>
public sealed class TestData
{
    private readonly Lazy<string> _sha256;

    public TestData(long length, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        Seed = seed;
        _sha256 = new Lazy<string>(() => Sha256Hex(OpenRead()));
    }

    public long Length { get; }

    public long Seed { get; }

    /// <summary>Lowercase hex SHA-256 of the whole payload (computed once by streaming it).</summary>
    public string Sha256 => _sha256.Value;

    /// <summary>A new independent read-only stream over the payload, positioned at 0.</summary>
    public RandomStream OpenRead() => new(Length, Seed);

    /// <summary>The payload in memory (only for small lengths).</summary>
    public byte[] ToArray()
    {
        if (Length > Array.MaxLength)
        {
            throw new InvalidOperationException($"{Length} bytes do not fit in an array; stream it with OpenRead().");
        }
        var bytes = new byte[Length];
        using var stream = OpenRead();
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The bytes [offset, offset+count) of the payload.</summary>
    public byte[] Slice(long offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, Length);
        var bytes = new byte[count];
        using var stream = OpenRead();
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Writes the payload to <paramref name="path"/> (overwriting it).</summary>
    public async Task WriteToFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
        await using var source = OpenRead();
        await source.CopyToAsync(file, 1 << 20, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lowercase hex SHA-256 of everything left in <paramref name="stream"/>; disposes nothing.</summary>
    public static string Sha256Hex(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Lowercase hex SHA-256 of a file's contents.</summary>
    public static async Task<string> Sha256HexOfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>
/// Read-only, seekable stream of deterministic pseudo-random bytes. Byte i is a pure function of (seed, i)
/// (SplitMix64 over the 8-byte word index), so any range can be produced without generating what precedes it.
/// </summary>
public sealed class RandomStream : Stream
{
    private readonly long _length;
    private readonly ulong _key;
    private long _position;

    public RandomStream(long length, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        _key = Mix(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var available = _length - _position;
        if (available <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        var n = (int)Math.Min(buffer.Length, available);
        Fill(buffer[..n], _position);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Fill(Span<byte> destination, long position)
    {
        Span<byte> word = stackalloc byte[8];
        var index = (ulong)position >> 3;
        var skip = (int)(position & 7);
        if (skip != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(index++));
            var take = Math.Min(8 - skip, destination.Length);
            word.Slice(skip, take).CopyTo(destination);
            destination = destination[take..];
        }
        while (destination.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination, Word(index++));
            destination = destination[8..];
        }
        if (!destination.IsEmpty)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(index));
            word[..destination.Length].CopyTo(destination);
        }
    }

    private ulong Word(ulong index) => Mix(unchecked(_key + (index * 0x9E3779B97F4A7C15UL)));

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
