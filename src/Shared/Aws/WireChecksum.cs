using Microsoft.Extensions.Logging;

namespace S3Fanout.Shared.Aws;

/// <summary>The integrity check a PUT carries on the wire (<c>--checksum</c>).</summary>
internal enum WireChecksumMode
{
    /// <summary><c>x-amz-checksum-crc64nvme</c> with the CRC-64/NVME computed anyway; no MD5 is computed.</summary>
    Crc64Nvme,
    /// <summary>Content-MD5, as for endpoints without flexible checksums.</summary>
    Md5,
}

/// <summary>
/// Which check this run's PUTs carry (<see cref="PlainPut"/>); one state for the whole run, shared by every PUT, as
/// <see cref="ConditionalWrites"/> is. Starts with CRC-64/NVME unless <c>--checksum md5</c>. S3 verifies an
/// <c>x-amz-checksum-crc64nvme</c> header before it stores anything, as it verifies Content-MD5, and answers with the
/// checksum it stored (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html,
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, ChecksumCRC64NVME). An endpoint that answers
/// without it has no flexible checksums (fauxqs 2.4.1, s3rver 3.7.1 ignore the header): from then on the run sends
/// Content-MD5, with one warning.
/// </summary>
internal sealed class WireChecksum(WireChecksumMode mode, ILogger logger)
{
    private int _md5 = mode == WireChecksumMode.Md5 ? 1 : 0;

    /// <summary>True while PUTs carry CRC-64/NVME; false with <c>--checksum md5</c> or once the endpoint showed it has no flexible checksums.</summary>
    public bool SendsCrc => Volatile.Read(ref _md5) == 0;

    /// <summary>Sends Content-MD5 for the rest of the run; warns the first time only.</summary>
    public void FallBackToMd5(string what)
    {
        if (Interlocked.Exchange(ref _md5, 1) == 0)
        {
            logger.LogWarning("The endpoint returned no CRC-64/NVME for {Object}; checking ETags as MD5 instead, and sending Content-MD5 for the rest of the run", what);
        }
    }

    /// <summary>The <c>--checksum</c> values, as written on the command line.</summary>
    public static string Name(WireChecksumMode value) => value == WireChecksumMode.Md5 ? "md5" : "crc64nvme";
}
