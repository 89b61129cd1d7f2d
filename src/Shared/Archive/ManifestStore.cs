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

    /// <summary>The checksum index of a completed broadcast, checked and counted but not held, or null when it has none (an s3pipe2 archive).</summary>
    public Task<ChecksumIndex?> TryOpenChecksumsAsync(CancellationToken ct) => store.TryOpenChecksumsAsync(Location, ct);

    /// <summary>
    /// True while this store's writer holds the broadcast: it wrote the first manifest (over no other) and every later
    /// one over its own last. A publisher that never claimed the name, or lost it, must not mark it aborted.
    /// </summary>
    public bool Owns => _written && !_lost;

    private readonly HashSet<string> _unconfirmed = new(StringComparer.Ordinal);
    private string? _etag;
    private bool _written;
    private bool _lost;
    private string? _damagedChecksums;

    /// <summary>
    /// Writes the manifest as its owner: the first with <c>If-None-Match: *</c>, each later one with <c>If-Match</c> of the
    /// last one written, so a second publisher on the name is found out at its first write, and stops with exit 3.
    /// </summary>
    /// <remarks>
    /// A refused write compares what is stored with every text this store sent since its last confirmed write: one of
    /// them may have landed with its answer lost, and is then the owner's own, written over by the next attempt.
    /// A write that S3 stored other than sent (<see cref="PlainPut.StoredETagOf"/>) is the owner's too.
    /// </remarks>
    public async Task WriteAsync(Manifest manifest, CancellationToken ct)
    {
        var text = ManifestCodec.Format(manifest);
        var condition = !_written ? PutCondition.IfAbsent : _etag is null ? null : PutCondition.IfUnchanged(_etag);
        _unconfirmed.Add(text);
        try
        {
            _etag = await store.WriteManifestAsync(Location, text, Put, condition, ct).ConfigureAwait(false);
            _written = true;
            _unconfirmed.Clear();
        }
        catch (FatalException e) when (PlainPut.StoredETagOf(e) is { } damaged)
        {
            (_etag, _written) = (damaged, true);
            throw;
        }
        catch (Exception e) when (AwsErrors.Classify(e).Kind == FailureKind.PreconditionFailed)
        {
            var stored = await store.TryReadStoredTextAsync(Location, KeyLayout.ManifestName, ct).ConfigureAwait(false);
            if (stored is { } mine && _unconfirmed.Contains(mine.Text))
            {
                (_etag, _written) = (mine.ETag, true);
                if (mine.Text == text)
                {
                    _unconfirmed.Clear();
                    return; // this very write landed and its answer was lost
                }
                throw new FatalException(ExitCodes.Transfer, $"{Location}/{KeyLayout.ManifestName}: an earlier write landed unseen; writing again over it", e, retryable: true);
            }
            _lost = true;
            var began = stored is { } other ? UploadBeganOf(other.Text) : "unknown";
            throw new FatalException(ExitCodes.NotFound,
                $"{Location} is being published by another publisher (its upload_began {began}); this one stops without touching it", e);
        }
    }

    /// <summary>
    /// The index from <paramref name="body"/> (a seekable stream of any length, such as the publisher's spool file),
    /// written once, only if absent. A refused write compares the stored index with its own by length and MD5, reading
    /// it as a stream, so a long index is never held in memory; the same bytes count as done.
    /// </summary>
    public async Task WriteChecksumsAsync(Stream body, CancellationToken ct)
    {
        try
        {
            // Only if absent, or over exactly the copy an earlier attempt of ours stored damaged.
            var condition = _damagedChecksums is { } ours ? PutCondition.IfUnchanged(ours) : PutCondition.IfAbsent;
            await store.WriteChecksumsAsync(Location, body, Put, condition, ct).ConfigureAwait(false);
        }
        catch (FatalException e) when (PlainPut.StoredETagOf(e) is { } damaged)
        {
            _damagedChecksums = damaged;
            throw;
        }
        catch (Exception e) when (AwsErrors.Classify(e).Kind == FailureKind.PreconditionFailed)
        {
            body.Position = 0;
            var (md5, _, length) = await BroadcastStore.HashAsync(body, ct).ConfigureAwait(false);
            if (!await store.HoldsAsync(Location, KeyLayout.ChecksumsName, length, md5, ct).ConfigureAwait(false))
            {
                _lost = true;
                throw new FatalException(ExitCodes.NotFound, $"{Location}/{KeyLayout.ChecksumsName} was written by another publisher; this one stops without touching it", e);
            }
        }
    }

    private PutSettings Put => put ?? PutSettings.Default;

    private static string UploadBeganOf(string manifest)
    {
        try
        {
            return ManifestCodec.Parse(manifest).UploadBegan?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
        }
        catch (ManifestException)
        {
            return "unknown, its manifest is malformed";
        }
    }
}
