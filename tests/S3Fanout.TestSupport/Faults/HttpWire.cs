using System.Globalization;
using System.Text;

namespace S3Fanout.TestSupport.Faults;

/// <summary>
/// The start line and headers of one HTTP/1.1 message, in their original order and spelling, so a proxy can pass
/// them on unchanged (SigV4 signs some of them) and still look at or replace a few.
/// </summary>
public sealed class HttpHead(string startLine, List<KeyValuePair<string, string>> headers)
{
    public string StartLine { get; set; } = startLine;

    public List<KeyValuePair<string, string>> Headers { get; } = headers;

    /// <summary>Request: the method; response: the protocol version.</summary>
    public string First => StartLine.Split(' ', 3)[0];

    /// <summary>Request: the target (path and query); response: the status code.</summary>
    public string Second => StartLine.Split(' ', 3) is { Length: >= 2 } parts ? parts[1] : "";

    public int StatusCode => int.TryParse(Second, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 0;

    public string? Get(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public void Remove(string name) =>
        Headers.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    public void Set(string name, string value)
    {
        Remove(name);
        Headers.Add(new(name, value));
    }

    public bool IsChunked => Get("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

    public long? ContentLength => long.TryParse(Get("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public byte[] ToBytes()
    {
        var sb = new StringBuilder(StartLine).Append("\r\n");
        foreach (var (name, value) in Headers)
        {
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        return Encoding.Latin1.GetBytes(sb.Append("\r\n").ToString());
    }
}

/// <summary>
/// Reads HTTP/1.1 messages off a connection: head lines, Content-Length bodies, chunked bodies (kept byte for byte
/// for forwarding, and decoded), and bodies that end with the connection. Enough for the AWS SDK and fauxqs.
/// </summary>
public sealed class HttpWireReader(Stream stream)
{
    private const int MaxLine = 64 * 1024;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next message head, or null when the connection ended cleanly before one began.</summary>
    public async Task<HttpHead?> ReadHeadAsync(CancellationToken ct)
    {
        var start = await ReadLineAsync(ct).ConfigureAwait(false);
        while (start is { Length: 0 })
        {
            start = await ReadLineAsync(ct).ConfigureAwait(false); // tolerate stray CRLF between messages
        }
        if (start is null)
        {
            return null;
        }
        var headers = new List<KeyValuePair<string, string>>();
        while (await ReadLineAsync(ct).ConfigureAwait(false) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new IOException($"malformed header line '{line}'");
            }
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new HttpHead(start, headers);
    }

    /// <summary>
    /// The body after <paramref name="head"/>: Raw is what went over the wire (chunk framing included), Decoded the
    /// payload. Without Content-Length or chunking, a request has no body and a response runs to the end of the connection.
    /// </summary>
    public async Task<(byte[] Raw, byte[] Decoded)> ReadBodyAsync(HttpHead head, bool isResponse, CancellationToken ct)
    {
        if (head.IsChunked)
        {
            using var raw = new MemoryStream();
            using var decoded = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync(ct).ConfigureAwait(false) ?? throw new IOException("connection ended inside a chunked body");
                WriteLine(raw, sizeLine);
                var size = long.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    // Trailers (aws-chunked may send x-amz-checksum-* here), then the empty line.
                    while (await ReadLineAsync(ct).ConfigureAwait(false) is { } trailer)
                    {
                        WriteLine(raw, trailer);
                        if (trailer.Length == 0)
                        {
                            break;
                        }
                    }
                    return (raw.ToArray(), decoded.ToArray());
                }
                var data = await ReadExactlyAsync(checked((int)size), ct).ConfigureAwait(false);
                raw.Write(data);
                decoded.Write(data);
                var end = await ReadLineAsync(ct).ConfigureAwait(false);
                if (end is not { Length: 0 })
                {
                    throw new IOException("chunk not followed by CRLF");
                }
                WriteLine(raw, "");
            }
        }
        if (head.ContentLength is { } length)
        {
            var body = await ReadExactlyAsync(checked((int)length), ct).ConfigureAwait(false);
            return (body, body);
        }
        if (!isResponse)
        {
            return ([], []);
        }
        var rest = await ReadToEndAsync(ct).ConfigureAwait(false);
        return (rest, rest);
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var done = 0;
        while (done < count)
        {
            if (_start == _end && !await FillAsync(ct).ConfigureAwait(false))
            {
                throw new IOException($"connection ended after {done} of {count} body bytes");
            }
            var n = Math.Min(count - done, _end - _start);
            Buffer.BlockCopy(_buffer, _start, result, done, n);
            _start += n;
            done += n;
        }
        return result;
    }

    private async Task<byte[]> ReadToEndAsync(CancellationToken ct)
    {
        using var all = new MemoryStream();
        do
        {
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
        }
        while (await FillAsync(ct).ConfigureAwait(false));
        return all.ToArray();
    }

    /// <summary>One line without its CRLF (or LF); null at the end of the connection before any byte of it.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(ct).ConfigureAwait(false))
            {
                return line.Length == 0 ? null : throw new IOException("connection ended inside a line");
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var stop = newline < 0 ? _end : newline;
            line.Append(Encoding.Latin1.GetString(_buffer, _start, stop - _start));
            _start = newline < 0 ? _end : newline + 1;
            if (line.Length > MaxLine)
            {
                throw new IOException("line too long");
            }
            if (newline >= 0)
            {
                return line.ToString().TrimEnd('\r');
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
        return _end > 0;
    }

    private static void WriteLine(MemoryStream to, string line)
    {
        to.Write(Encoding.Latin1.GetBytes(line));
        to.Write("\r\n"u8);
    }
}
