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

    /// <summary>
    /// The 403 that the last <see cref="TryReadAsync"/> with <c>awaitingStart</c> took for "not there yet", or null when
    /// the last read got an answer. Reported with exit 4 when the wait for the broadcast runs out.
    /// </summary>
    public MissingOrDeniedException? Denial { get; private set; }

    /// <summary>
    /// The manifest, or null when there is none (yet). With <paramref name="awaitingStart"/> (the caller waits for a
    /// broadcast that may not have begun) a 403 counts as "not there yet" too, and is kept in <see cref="Denial"/>:
    /// without s3:ListBucket S3 answers 403 for the manifest of a broadcast not yet started, and a principal that may not
    /// read it gets the same answer, so only the end of the wait tells them apart. Otherwise a 403 ends the read (exit 4).
    /// </summary>
    public async Task<Manifest?> TryReadAsync(CancellationToken ct, bool awaitingStart = false)
    {
        try
        {
            var manifest = await store.TryReadManifestAsync(Location, ct).ConfigureAwait(false);
            Denial = null;
            return manifest;
        }
        catch (MissingOrDeniedException e) when (awaitingStart)
        {
            Denial = e;
            return null;
        }
    }

    /// <summary>The checksum index of a completed broadcast, or null when it has none (an s3pipe2 archive).</summary>
    public Task<IReadOnlyList<SegmentInfo>?> TryReadChecksumsAsync(CancellationToken ct) => store.TryReadChecksumsAsync(Location, ct);

    public Task WriteAsync(Manifest manifest, CancellationToken ct) => store.WriteManifestAsync(Location, manifest, put ?? PutSettings.Default, ct);

    public Task WriteChecksumsAsync(IEnumerable<SegmentInfo> segments, CancellationToken ct) => store.WriteChecksumsAsync(Location, segments, put ?? PutSettings.Default, ct);
}
