namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The <c>.manifest</c> of a broadcast. The first group of fields are s3pipe2's, with s3pipe2's meaning;
/// <see cref="NumSegments"/> counts only segments 1..k that are all stored, and <see cref="TotalSize"/> is their byte count.
/// The rest are S3Fanout's additions; an s3pipe2 archive has <see cref="FormatVersion"/> 0.
/// </summary>
internal sealed record Manifest
{
    public string Version { get; init; } = "0.1";
    /// <summary>Nominal segment size in MiB (s3pipe2: MB), as given with -m.</summary>
    public long SegmentSizeMb { get; init; }
    public DateTimeOffset? UploadBegan { get; init; }
    public bool Completed { get; init; }
    public long NumSegments { get; init; }
    public long TotalSize { get; init; }
    public DateTimeOffset? UploadEnded { get; init; }

    /// <summary>0 for an s3pipe2 archive, 1 for S3Fanout's.</summary>
    public int FormatVersion { get; init; }
    public BroadcastState State { get; init; }
    public long SegmentSizeBytes { get; init; }
    public string? ChecksumAlgorithm { get; init; }
    public string? StreamSha256 { get; init; }
    public string? Notify { get; init; }
    public string? TopicArn { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public string? AbortReason { get; init; }

    public bool IsLegacy => FormatVersion == 0;
}
