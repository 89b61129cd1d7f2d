namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The <c>.manifest</c> of a broadcast. The first group of fields are s3pipe2's, with s3pipe2's meaning: what s3pipe2's
/// readers go by. The rest are S3Fanout's additions; an s3pipe2 archive has <see cref="FormatVersion"/> 0.
/// S3Fanout's own readers take the stored count from <see cref="Segments"/> and <see cref="Bytes"/>.
/// </summary>
/// <remarks>
/// While a broadcast is not complete, S3Fanout writes s3pipe2's <see cref="NumSegments"/> and <see cref="TotalSize"/>
/// one segment behind what is stored (<see cref="WithStored"/>), and the true count in its own keys
/// (<see cref="StoredSegments"/>, <see cref="StoredBytes"/>). s3pipe2's <c>from</c> decides it is done only right after
/// writing a segment, when the manifest says completed and that segment is number num_segments; an open manifest that
/// already named the last segment would have it write that segment early and then wait forever.
/// </remarks>
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

    /// <summary>S3Fanout's count of segments 1..k that are all stored; null in a manifest without the key (s3pipe2's, and earlier S3Fanout versions').</summary>
    public long? StoredSegments { get; init; }

    /// <summary>The byte count of those <see cref="StoredSegments"/>; null when the manifest has no such key.</summary>
    public long? StoredBytes { get; init; }

    /// <summary>For a relay's copy: the broadcast it copies (<c>s3://bucket/name</c>, the manifest's <c>relayed_from</c>); null for a publisher's own.</summary>
    public string? RelayedFrom { get; init; }

    public bool IsLegacy => FormatVersion == 0;

    /// <summary>Segments 1..this many are all stored: S3Fanout's own key, else s3pipe2's num_segments.</summary>
    public long Segments => StoredSegments ?? NumSegments;

    /// <summary>The byte count of those <see cref="Segments"/>.</summary>
    public long Bytes => StoredBytes ?? TotalSize;

    /// <summary>
    /// This manifest, recording that segments 1..<paramref name="segments"/> are stored (<paramref name="bytes"/> bytes, the
    /// last of them <paramref name="lastSize"/>). Set <see cref="Completed"/> first: unless it is true, s3pipe2's
    /// num_segments and total_size stay one segment behind (see the remarks).
    /// </summary>
    public Manifest WithStored(long segments, long bytes, long lastSize)
    {
        var behind = !Completed && segments > 0;
        return this with
        {
            StoredSegments = segments,
            StoredBytes = bytes,
            NumSegments = behind ? segments - 1 : segments,
            TotalSize = behind ? bytes - lastSize : bytes,
        };
    }
}
