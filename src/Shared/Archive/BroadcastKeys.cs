using Amazon.S3.Model;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// A broadcast's keys as listed: its own (segments, <c>.checksums</c>, <c>.manifest</c>), which are what
/// <see cref="BroadcastStore.DeleteAsync"/> deletes, and the other keys under <c>NAME/</c>, which are never touched.
/// </summary>
internal sealed record BroadcastKeys(
    BroadcastLocation Location,
    IReadOnlyList<S3Object> Segments,
    S3Object? Checksums,
    S3Object? Manifest,
    IReadOnlyList<S3Object> Others)
{
    /// <summary>The broadcast's own objects, in the order they are deleted.</summary>
    public IReadOnlyList<S3Object> Own { get; } = [.. Segments, .. new[] { Checksums, Manifest }.OfType<S3Object>()];

    /// <summary>
    /// A broadcast exists at its name when any of its own keys does: a <c>.manifest</c>, a <c>.checksums</c> or a
    /// segment key. Nested broadcasts and other objects under <c>NAME/</c> do not make one.
    /// </summary>
    public bool Exists => Own.Count > 0;

    public long OwnBytes => Own.Sum(o => o.Size ?? 0);
}
