namespace S3Fanout.Shared.Protocol;

/// <summary>User metadata on each segment object (sent as <c>x-amz-meta-*</c>), for readers that joined without notifications.</summary>
internal static class MetadataNames
{
    public const string Checksum = "s3fanout-crc64nvme";
    public const string Offset = "s3fanout-offset";
}
