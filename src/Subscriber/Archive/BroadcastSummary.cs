using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>One broadcast as <c>ls</c> shows it (and the first fields of <c>info</c>); serialised with snake_case names.</summary>
internal record BroadcastSummary
{
    public required string Url { get; init; }
    public required string Bucket { get; init; }
    public required string Name { get; init; }
    /// <summary>open, complete or aborted; "malformed" when the manifest cannot be read.</summary>
    public required string State { get; init; }
    /// <summary>"s3fanout" or "s3pipe2" (an archive without S3Fanout's keys).</summary>
    public string? Format { get; init; }
    /// <summary>Bytes of segments 1..segments, all stored.</summary>
    public long SizeBytes { get; init; }
    public long Segments { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public DateTimeOffset? Updated { get; init; }
    public string? StreamSha256 { get; init; }
    public string? AbortReason { get; init; }
    /// <summary>The object the broadcast was assembled into by <c>s3fanout-publish --assemble</c>, and its SHA-256.</summary>
    public string? AssembledTo { get; init; }
    public string? AssembledSha256 { get; init; }
    /// <summary>Read replicas of each segment besides the primary (<c>--replicas</c>); 0 for none, and for s3pipe2's.</summary>
    public int Replicas { get; init; }
    /// <summary>Why the manifest could not be read (state "malformed").</summary>
    public string? Error { get; init; }

    public static string StateName(BroadcastState state) => state switch
    {
        BroadcastState.Open => "open",
        BroadcastState.Complete => "complete",
        _ => "aborted",
    };

    public static BroadcastSummary From(BroadcastLocation location, Manifest m) => new()
    {
        Url = location.ToString(),
        Bucket = location.Bucket,
        Name = location.Prefix,
        State = StateName(m.State),
        Format = m.IsLegacy ? "s3pipe2" : "s3fanout",
        SizeBytes = m.Bytes,
        Segments = m.Segments,
        Started = m.UploadBegan,
        Ended = m.UploadEnded,
        Updated = m.UpdatedAt,
        StreamSha256 = m.StreamSha256,
        AbortReason = m.AbortReason,
        AssembledTo = m.AssembledTo,
        AssembledSha256 = m.AssembledSha256,
        Replicas = m.Replicas,
    };

    public static BroadcastSummary Malformed(BroadcastLocation location, string error) => new()
    {
        Url = location.ToString(),
        Bucket = location.Bucket,
        Name = location.Prefix,
        State = "malformed",
        Error = error,
    };
}
