namespace S3Fanout.Shared.Archive;

/// <summary>
/// A read-only, forward-only view of one S3 object that fetches it a piece at a time with ranged GETs, as its reader
/// asks for more: one short, separately retried request per piece instead of one GET held open for as long as the
/// reader takes (hours, for the checksum index of a long broadcast), and one piece in memory.
/// </summary>
internal sealed class RangedObjectStream(Func<long, byte[], CancellationToken, Task<int>> readPiece, long length, int pieceBytes = RangedObjectStream.DefaultPieceBytes) : Stream
{
    public const int DefaultPieceBytes = 1024 * 1024;

    private readonly byte[] _piece = new byte[(int)Math.Min(pieceBytes, Math.Max(length, 1))];
    private long _pieceStart;
    private int _pieceLength;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0)
        {
            return 0;
        }
        if (_position >= _pieceStart + _pieceLength)
        {
            _pieceStart = _position;
            _pieceLength = await readPiece(_position, _piece, cancellationToken).ConfigureAwait(false);
            if (_pieceLength <= 0)
            {
                throw new FatalException(ExitCodes.Integrity, $"the object ended at byte {_position} of {length}");
            }
        }
        var offset = (int)(_position - _pieceStart);
        var count = Math.Min(buffer.Length, _pieceLength - offset);
        _piece.AsMemory(offset, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
