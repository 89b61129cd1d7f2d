using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// A broadcast's keys as listed: its own (read replicas, segments, <c>.checksums</c>, <c>.manifest</c>), which are what
/// <see cref="BroadcastStore.DeleteAsync"/> deletes, and the other keys under <c>NAME/</c>, which are never touched.
/// </summary>
internal sealed record BroadcastKeys(
    BroadcastLocation Location,
    IReadOnlyList<S3Object> Segments,
    S3Object? Checksums,
    S3Object? Manifest,
    IReadOnlyList<S3Object> Others)
{
    /// <summary>The read replicas of its segments (<c>NAME/.replica-k/…</c>), none for an s3pipe2 broadcast.</summary>
    public IReadOnlyList<S3Object> Replicas { get; init; } = [];

    /// <summary>The broadcast's own objects, in the order they are deleted: replicas before the primaries they copy.</summary>
    public IReadOnlyList<S3Object> Own => [.. Replicas, .. Segments, .. new[] { Checksums, Manifest }.OfType<S3Object>()];

    /// <summary>
    /// A broadcast exists at its name when any of its own keys does: a <c>.manifest</c>, a <c>.checksums</c> or a
    /// segment key. Nested broadcasts and other objects under <c>NAME/</c> do not make one.
    /// </summary>
    public bool Exists => Own.Count > 0;

    public long OwnBytes => Own.Sum(o => o.Size ?? 0);
}
