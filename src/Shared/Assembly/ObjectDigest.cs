using System.Buffers;
using System.Security.Cryptography;
using Amazon.S3;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Assembly;

/// <summary>An object read back whole: its length, CRC-64/NVME and SHA-256, to compare with the broadcast it was assembled from.</summary>
internal static class ObjectDigest
{
    public static async Task<(long Length, string Crc, string Sha256)> ReadAsync(IAmazonS3 s3, string bucket, string key, CancellationToken ct)
    {
        using var response = await s3.GetObjectAsync(bucket, key, ct).ConfigureAwait(false);
        var checksum = new SegmentChecksum();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        long total = 0;
        try
        {
            int n;
            while ((n = await response.ResponseStream.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                checksum.Append(buffer.AsSpan(0, n));
                sha.AppendData(buffer, 0, n);
                total += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (total, checksum.Finish(), Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}
