using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Assembly;

/// <summary>Where and how an assembled object is written.</summary>
/// <param name="Sse">The destination's encryption; null keeps the broadcast's (read from its first segment).</param>
/// <param name="Force">Replace an existing object; otherwise the object is written only if none exists (If-None-Match: *).</param>
/// <param name="VerifyDownload">Also stream the result back and check its SHA-256 and CRC-64/NVME.</param>
internal sealed record AssemblyTarget(string Bucket, string Key, SseSettings? Sse, bool Force, bool VerifyDownload, int Workers)
{
    public override string ToString() => $"s3://{Bucket}/{Key}";
}

/// <summary>What an assembly did, for the summary line, <c>--json</c> and the publisher's manifest.</summary>
internal sealed record AssemblyResult(
    string Destination,
    long Bytes,
    int Parts,
    int CopiedParts,
    long CopiedBytes,
    long DownloadedBytes,
    string Crc64Nvme,
    string? Sha256,
    string VerifiedBy);

/// <summary>An assembled object compared with its broadcast (<c>verify OBJECT --against BROADCAST</c>).</summary>
internal sealed record AssemblyCheck(string Object, string Against, long Bytes, long ExpectedBytes, string ExpectedCrc64Nvme)
{
    public string? Crc { get; init; }
    public string? Sha256 { get; init; }
    public string? ExpectedSha256 { get; init; }
    /// <summary>"size" (the sizes differ), "full-object-crc" (S3's checksum) or "download".</summary>
    public string VerifiedBy { get; init; } = "";

    public bool Ok => Bytes == ExpectedBytes && Crc == ExpectedCrc64Nvme && (Sha256 is null || ExpectedSha256 is null || Sha256 == ExpectedSha256);
}
