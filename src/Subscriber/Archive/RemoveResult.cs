namespace S3Fanout.Subscriber.Archive;

/// <summary>What <c>rm --json</c> prints (snake_case names).</summary>
internal sealed record RemoveResult
{
    public required string Url { get; init; }
    /// <summary>The state the manifest gave before deletion: open, complete, aborted, malformed, or "none" (segments without a manifest).</summary>
    public required string State { get; init; }
    public long DeletedObjects { get; init; }
    public long DeletedBytes { get; init; }
    public long DeletedSegments { get; init; }
    /// <summary>Objects under NAME/ that are not part of the broadcast's layout, left in place.</summary>
    public required IReadOnlyList<string> LeftObjects { get; init; }
}
