using System.Text;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// Reads a <c>.checksums</c> index one segment at a time from a stream, holding one buffer and one line, whatever the
/// index's length. Every line is checked as <see cref="ChecksumIndexCodec.ParseLine"/> does (well-formed, indexes
/// consecutive from 1, offsets adding up); a line longer than <see cref="ChecksumIndexCodec.MaxLineBytes"/> is malformed.
/// A malformed index ends the read with exit 7, naming <paramref name="source"/>: S3 returns the same bytes every time.
/// </summary>
internal sealed class ChecksumIndexReader(Stream body, string source) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _line = new byte[ChecksumIndexCodec.MaxLineBytes];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>The last segment read, or null before the first.</summary>
    public SegmentInfo? Last { get; private set; }

    /// <summary>The next segment, or null at the end of the index.</summary>
    public async ValueTask<SegmentInfo?> ReadAsync(CancellationToken ct)
    {
        try
        {
            while (await ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (ChecksumIndexCodec.ParseLine(line, Last) is { } info)
                {
                    Last = info;
                    return info;
                }
            }
            return null;
        }
        catch (ManifestException e)
        {
            throw new FatalException(ExitCodes.Integrity, $"{source} is malformed: {e.Message}", e);
        }
    }

    /// <summary>Reads to the end; the number of segments the index lists.</summary>
    public async Task<long> CountAsync(CancellationToken ct)
    {
        while (await ReadAsync(ct).ConfigureAwait(false) is not null)
        {
        }
        return Last?.Index ?? 0;
    }

    private async ValueTask<string?> ReadLineAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            if (_start == _end)
            {
                if (_eof)
                {
                    return length == 0 ? null : Decode(length);
                }
                _start = 0;
                _end = await body.ReadAsync(_buffer, ct).ConfigureAwait(false);
                _eof = _end == 0;
                continue;
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var stop = newline < 0 ? _end : newline;
            var take = stop - _start;
            if (length + take > _line.Length)
            {
                throw new ManifestException($".checksums has a line longer than {ChecksumIndexCodec.MaxLineBytes} bytes after segment {Last?.Index ?? 0}");
            }
            Array.Copy(_buffer, _start, _line, length, take);
            length += take;
            _start = newline < 0 ? _end : newline + 1;
            if (newline >= 0)
            {
                return Decode(length);
            }
        }
    }

    private string Decode(int length) => Encoding.UTF8.GetString(_line, 0, length);

    public void Dispose() => body.Dispose();
}
