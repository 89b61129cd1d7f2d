namespace S3Fanout.Shared.Protocol;

/// <summary>S3's size limits, in one place (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html).</summary>
internal static class S3Limits
{
    /// <summary>The largest object one PutObject stores, and so the largest segment: 5 GiB.</summary>
    public const long MaxObjectBytes = 5L * 1024 * 1024 * 1024;

    public const long MaxObjectMiB = MaxObjectBytes / (1024 * 1024);
}
