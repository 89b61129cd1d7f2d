namespace S3Fanout.Shared.Protocol;

/// <summary>
/// S3's size limits, in one place. One segment is one object written with a single PUT, and "with a single PUT
/// operation, you can upload a single object up to 5 GB in size"
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html; S3's GB are 2^30 bytes). Every check of
/// a segment size, on either side, uses these.
/// </summary>
internal static class S3Limits
{
    /// <summary>The largest object one PutObject stores, and so the largest segment: 5 GiB.</summary>
    public const long MaxObjectBytes = 5L * 1024 * 1024 * 1024;

    public const long MaxObjectMiB = MaxObjectBytes / (1024 * 1024);
}
