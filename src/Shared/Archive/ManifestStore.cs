using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// One broadcast's <c>.manifest</c> and <c>.checksums</c>, for the stages that follow or announce a single broadcast.
/// The reading and writing (and the retry of reads) is <see cref="BroadcastStore"/>'s.
/// </summary>
internal sealed class ManifestStore(BroadcastStore store, BroadcastLocation location, PutSettings? put = null)
{
    public BroadcastLocation Location { get; } = location;

    /// <summary>The manifest, or null when there is none (yet).</summary>
    public Task<Manifest?> TryReadAsync(CancellationToken ct) => store.TryReadManifestAsync(Location, ct);

    /// <summary>The checksum index of a completed broadcast, or null when it has none (an s3pipe2 archive).</summary>
    public Task<IReadOnlyList<SegmentInfo>?> TryReadChecksumsAsync(CancellationToken ct) => store.TryReadChecksumsAsync(Location, ct);

    public Task WriteAsync(Manifest manifest, CancellationToken ct) => store.WriteManifestAsync(Location, manifest, put ?? PutSettings.Default, ct);

    public Task WriteChecksumsAsync(IEnumerable<SegmentInfo> segments, CancellationToken ct) => store.WriteChecksumsAsync(Location, segments, put ?? PutSettings.Default, ct);
}
