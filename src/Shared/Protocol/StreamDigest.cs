using System.Security.Cryptography;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The one loop that reads a body to its end and hashes it: its length and CRC-64/NVME, and where asked a second digest
/// (MD5 to compare with an ETag, SHA-256 to compare with a stream's). Used for what was stored, copied or assembled.
/// </summary>
internal static class StreamDigest
{
    /// <param name="digest">The second digest, or null for none (then <c>Digest</c> is empty).</param>
    /// <param name="onRead">Called after every read, e.g. to tell a no-progress watchdog that bytes moved.</param>
    public static async Task<(long Length, string Crc64, byte[] Digest)> ReadAsync(Stream body, HashAlgorithmName? digest, CancellationToken ct, Action? onRead = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var second = digest is { } name ? IncrementalHash.CreateHash(name) : null;
        var crc = new SegmentChecksum();
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            onRead?.Invoke();
            second?.AppendData(buffer, 0, read);
            crc.Append(buffer.AsSpan(0, read));
            length += read;
        }
        return (length, crc.Finish(), second?.GetHashAndReset() ?? []);
    }
}
