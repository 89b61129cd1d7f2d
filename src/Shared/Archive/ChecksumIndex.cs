using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Archive;

/// <summary>
/// A broadcast's stored <c>.checksums</c>, checked whole once (<see cref="BroadcastStore.TryOpenChecksumsAsync"/>) and read
/// again lazily, as a reader's window advances, by ranged GETs pinned to the ETag that was checked.
/// </summary>
internal sealed class ChecksumIndex(BroadcastStore store, BroadcastLocation location, string? etag, long length)
{
    /// <summary>The segments the index lists.</summary>
    public long Count { get; internal set; }

    public ChecksumIndexReader OpenReader() => new(
        new RangedObjectStream((from, piece, ct) => store.ReadPieceAsync(location, KeyLayout.ChecksumsName, etag, from, length, piece, ct), length),
        $"{location}/{KeyLayout.ChecksumsName}");
}
