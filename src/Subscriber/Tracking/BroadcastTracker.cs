using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Tracking;

/// <summary>
/// What one subscriber knows about one broadcast, merged from every source: notifications (fast, may be lost,
/// duplicated or reordered), the manifest (slow, authoritative) and the checksum index of a finished broadcast.
/// Thread-safe; <see cref="Changed"/> wakes the planner whenever something new is learned.
/// </summary>
/// <remarks>
/// Memory stays flat however long the broadcast: what is known per segment is forgotten once the writer wrote it
/// (<see cref="Forget"/>), and the checksum index is not loaded but read a line at a time as fetches ask for it
/// (<see cref="LoadChecksumsThroughAsync"/>), so at most a window's worth of entries is held.
/// </remarks>
internal sealed class BroadcastTracker(BroadcastLocation location, TimeProvider time, ILogger<BroadcastTracker> logger) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<long, SegmentInfo> _known = [];
    private readonly Dictionary<long, DateTimeOffset> _announcedAt = [];
    private readonly SemaphoreSlim _indexGate = new(1, 1);
    private ChecksumIndexReader? _index;
    private long _indexedThrough;
    private long _writtenThrough;
    private long _lastNewsAt = time.GetTimestamp();

    public BroadcastLocation Location { get; } = location;

    public AsyncSignal Changed { get; } = new();

    /// <summary>The highest segment index known to exist or to be on its way.</summary>
    public long MaxKnownIndex { get; private set; }

    /// <summary>Segments 1..this many are all stored, as the manifest, a heartbeat or the end of the stream said.</summary>
    private long _storedThrough;

    public FinalInfo? Final { get; private set; }

    public string? AbortReason { get; private set; }

    /// <summary>True once a manifest or a notification showed that the broadcast exists.</summary>
    public bool Exists { get; private set; }

    /// <summary>True for an s3pipe2 archive: no checksums, no notifications.</summary>
    public bool IsLegacy { get; private set; }

    /// <summary>Read replicas of each segment besides the primary, as the manifest says (0 for none).</summary>
    public int Replicas { get; private set; }

    /// <summary>Whether a manifest was applied yet (a subscriber that learnt of the broadcast by notification may not have read one).</summary>
    public bool ManifestSeen { get; private set; }

    public string? Notify { get; private set; }

    public DateTimeOffset? LastManifestUpdate { get; private set; }

    /// <summary>When this run of the broadcast began, from its manifest; tells a resumed sink it is the same run.</summary>
    public DateTimeOffset? UploadBegan { get; private set; }

    public TimeSpan SinceLastNews => time.GetElapsedTime(Interlocked.Read(ref _lastNewsAt));

    public SegmentInfo? TryGetInfo(long index)
    {
        lock (_gate)
        {
            return _known.GetValueOrDefault(index);
        }
    }

    /// <summary>
    /// Whether the publisher said segment <paramref name="index"/> is stored: its segment-ready notification or the
    /// checksum index named it, or a manifest, heartbeat or end of stream counted past it. A segment not known to be
    /// stored may simply not be there yet.
    /// </summary>
    public bool IsStored(long index)
    {
        lock (_gate)
        {
            return index <= _storedThrough || _known.ContainsKey(index);
        }
    }

    /// <summary>When the publisher sent the segment-ready notification for <paramref name="index"/>, if one arrived.</summary>
    public DateTimeOffset? TryGetAnnouncedAt(long index)
    {
        lock (_gate)
        {
            return _announcedAt.TryGetValue(index, out var at) ? at : null;
        }
    }

    public void Apply(Notification notification)
    {
        lock (_gate)
        {
            Exists = true;
            switch (notification)
            {
                case SegmentReady s:
                    Announced(s.ToInfo(), s.SentAt);
                    break;
                case SegmentsReady m:
                    foreach (var info in m.ToInfos())
                    {
                        Announced(info, m.SentAt);
                    }
                    break;
                case Heartbeat h:
                    MaxKnownIndex = Math.Max(MaxKnownIndex, h.StoredSegments);
                    _storedThrough = Math.Max(_storedThrough, h.StoredSegments);
                    break;
                case EndOfStream e:
                    Final ??= new FinalInfo(e.Segments, e.Bytes, e.Sha256.ToLowerInvariant());
                    _storedThrough = Math.Max(_storedThrough, e.Segments);
                    break;
                case BroadcastAborted a:
                    AbortReason ??= a.Reason;
                    break;
            }
        }
        logger.LogDebug("Notification {Type} for {Broadcast}", NotificationCodec.TypeName(notification), Location);
        NoteNews();
    }

    /// <summary>Under the gate: a segment-ready notice, alone or in a coalesced message.</summary>
    private void Announced(SegmentInfo info, DateTimeOffset sentAt)
    {
        if (info.Index > _writtenThrough)
        {
            _known.TryAdd(info.Index, info);
            _announcedAt.TryAdd(info.Index, sentAt);
        }
        // Otherwise a late duplicate of a segment already written: nothing to keep.
        MaxKnownIndex = Math.Max(MaxKnownIndex, info.Index);
    }

    public void ApplyManifest(Manifest manifest)
    {
        var news = false;
        lock (_gate)
        {
            Exists = true;
            IsLegacy = manifest.IsLegacy;
            Replicas = manifest.Replicas;
            ManifestSeen = true;
            UploadBegan ??= manifest.UploadBegan;
            Notify = manifest.Notify;
            _storedThrough = Math.Max(_storedThrough, manifest.Segments);
            if (manifest.Segments > MaxKnownIndex)
            {
                MaxKnownIndex = manifest.Segments;
                news = true;
            }
            if (manifest.UpdatedAt != LastManifestUpdate)
            {
                LastManifestUpdate = manifest.UpdatedAt;
                news = true;
            }
            if (manifest.State == BroadcastState.Complete && Final is null)
            {
                Final = new FinalInfo(manifest.Segments, manifest.Bytes, manifest.StreamSha256);
                news = true;
            }
            if (manifest.State == BroadcastState.Aborted && AbortReason is null)
            {
                AbortReason = manifest.AbortReason ?? "no reason given";
                news = true;
            }
        }
        if (news)
        {
            NoteNews();
        }
    }

    /// <summary>
    /// The publisher's own record of every segment of a finished broadcast; it overrides object metadata and
    /// notifications. Read lazily, in index order, by <see cref="LoadChecksumsThroughAsync"/>; the tracker disposes it.
    /// </summary>
    public void UseChecksums(ChecksumIndexReader index)
    {
        lock (_gate)
        {
            _index?.Dispose();
            _index = index;
            _indexedThrough = 0;
        }
        Changed.Set();
    }

    /// <summary>
    /// Reads the checksum index (if any) up to segment <paramref name="index"/>, keeping the entries of segments not yet
    /// written: fetches ask within the reorder window, so that is at most a window's worth. One reader at a time; a
    /// failed read (the index replaced meanwhile, S3 unreachable) is the caller's to report.
    /// </summary>
    public async ValueTask LoadChecksumsThroughAsync(long index, CancellationToken ct)
    {
        if (Volatile.Read(ref _index) is null || Interlocked.Read(ref _indexedThrough) >= index)
        {
            return;
        }
        await _indexGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (_index is { } reader && Interlocked.Read(ref _indexedThrough) < index)
            {
                var info = await reader.ReadAsync(ct).ConfigureAwait(false);
                lock (_gate)
                {
                    if (info is not null && info.Index > _writtenThrough)
                    {
                        _known[info.Index] = info;
                    }
                }
                Interlocked.Exchange(ref _indexedThrough, info?.Index ?? long.MaxValue);
            }
        }
        finally
        {
            _indexGate.Release();
        }
    }

    /// <summary>Segments 1..<paramref name="through"/> are written: what was known of them is dropped, and never kept again.</summary>
    public void Forget(long through)
    {
        lock (_gate)
        {
            if (through <= _writtenThrough)
            {
                return;
            }
            if (through - _writtenThrough <= 64)
            {
                for (var i = _writtenThrough + 1; i <= through; i++)
                {
                    _known.Remove(i);
                    _announcedAt.Remove(i);
                }
            }
            else
            {
                foreach (var i in _known.Keys.Concat(_announcedAt.Keys).Where(i => i <= through).ToList())
                {
                    _known.Remove(i);
                    _announcedAt.Remove(i);
                }
            }
            _writtenThrough = through;
        }
    }

    /// <summary>Something moved: a segment was written or the publisher spoke. Resets the stall clock.</summary>
    public void NoteNews()
    {
        Interlocked.Exchange(ref _lastNewsAt, time.GetTimestamp());
        Changed.Set();
    }

    public void Dispose()
    {
        _index?.Dispose();
        _indexGate.Dispose();
        Changed.Dispose();
    }
}
