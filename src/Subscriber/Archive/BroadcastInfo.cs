using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Archive;

/// <summary>One broadcast as <c>info --json</c> prints it: the <see cref="BroadcastSummary"/> fields and the rest of the manifest.</summary>
internal sealed record BroadcastInfo : BroadcastSummary
{
    /// <summary>The manifest's <c>version</c> (s3pipe2's key).</summary>
    [JsonPropertyOrder(1)]
    public string? Version { get; init; }
    /// <summary><c>s3fanout_format</c>: 1 for S3Fanout, 0 for an s3pipe2 archive.</summary>
    [JsonPropertyOrder(1)]
    public int FormatVersion { get; init; }
    [JsonPropertyOrder(1)]
    public bool Completed { get; init; }
    /// <summary>Nominal segment size as given with -m (MiB; s3pipe2: MB).</summary>
    [JsonPropertyOrder(1)]
    public long SegmentSizeMb { get; init; }
    /// <summary>Nominal segment size in bytes (S3Fanout only).</summary>
    [JsonPropertyOrder(1)]
    public long? SegmentSizeBytes { get; init; }
    [JsonPropertyOrder(1)]
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>Whether the <c>.checksums</c> index exists (it is written when a broadcast completes).</summary>
    [JsonPropertyOrder(1)]
    public bool ChecksumsIndex { get; init; }
    [JsonPropertyOrder(1)]
    public string? Notify { get; init; }
    [JsonPropertyOrder(1)]
    public string? TopicArn { get; init; }
}
