using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Tracking;

/// <summary>
/// What one subscriber knows about one broadcast, merged from every source: notifications (fast, may be lost,
/// duplicated or reordered), the manifest (slow, authoritative) and the checksum index of a finished broadcast.
/// Thread-safe; <see cref="Changed"/> wakes the planner whenever something new is learned.
/// </summary>
internal sealed class BroadcastTracker(BroadcastLocation location, TimeProvider time, ILogger<BroadcastTracker> logger) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<long, SegmentInfo> _known = [];
    private readonly Dictionary<long, DateTimeOffset> _announcedAt = [];
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
                    _known.TryAdd(s.Index, s.ToInfo());
                    _announcedAt.TryAdd(s.Index, s.SentAt);
                    MaxKnownIndex = Math.Max(MaxKnownIndex, s.Index);
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

    public void ApplyManifest(Manifest manifest)
    {
        var news = false;
        lock (_gate)
        {
            Exists = true;
            IsLegacy = manifest.IsLegacy;
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

    /// <summary>The publisher's own record of every segment of a finished broadcast; it overrides object metadata.</summary>
    public void ApplyChecksums(IReadOnlyList<SegmentInfo> segments)
    {
        lock (_gate)
        {
            foreach (var s in segments)
            {
                _known[s.Index] = s;
            }
        }
        Changed.Set();
    }

    /// <summary>Something moved: a segment was written or the publisher spoke. Resets the stall clock.</summary>
    public void NoteNews()
    {
        Interlocked.Exchange(ref _lastNewsAt, time.GetTimestamp());
        Changed.Set();
    }

    public void Dispose() => Changed.Dispose();
}
