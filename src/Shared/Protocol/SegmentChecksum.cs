using System.Buffers.Binary;
using System.IO.Hashing;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// Per-segment checksum: CRC64/NVME, written as S3 writes <c>x-amz-checksum-crc64nvme</c> (base64 of the big-endian value).
/// Chosen for speed (vectorised in System.IO.Hashing) and because S3 itself uses the same algorithm.
/// </summary>
internal sealed class SegmentChecksum
{
    public const string Algorithm = "crc64nvme";
    private readonly Crc64 _crc = new(Crc64ParameterSet.Nvme);

    public void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

    public string Finish()
    {
        var value = _crc.GetCurrentHashAsUInt64();
        _crc.Reset();
        return Encode(value);
    }

    public static string Of(ReadOnlySpan<byte> data)
    {
        var c = new SegmentChecksum();
        c.Append(data);
        return c.Finish();
    }

    public static string Encode(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>The value of a checksum written by <see cref="Encode"/>.</summary>
    public static ulong Decode(string text)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (!IsWellFormed(text) || !Convert.TryFromBase64String(text, bytes, out _))
        {
            throw new FormatException($"'{text}' is not a CRC-64/NVME checksum");
        }
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    public static bool IsWellFormed(string? text) =>
        text is { Length: 12 } && Convert.TryFromBase64String(text, new byte[8], out var written) && written == 8;
}
