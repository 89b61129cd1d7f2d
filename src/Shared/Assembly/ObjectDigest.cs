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
        var (length, crc, sha256) = await StreamDigest.ReadAsync(response.ResponseStream, HashAlgorithmName.SHA256, ct).ConfigureAwait(false);
        return (length, crc, Convert.ToHexStringLower(sha256));
    }
}
