using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// Tells the world what is stored: a segment-ready notification per stored segment (in whatever order they finish),
/// the manifest rewritten at most every <see cref="IAnnouncerOptions.ManifestInterval"/> with the contiguous count
/// (s3pipe2's keys one segment behind until the broadcast completes: <see cref="Manifest.WithStored"/>),
/// and a heartbeat whenever nothing else was sent for <see cref="IAnnouncerOptions.HeartbeatInterval"/>.
/// What it keeps does not grow with the broadcast: segments stored out of order wait in a map bounded by the upload
/// window, and each one that joins the unbroken run goes to the <see cref="ChecksumSpool"/> file, not to memory.
/// </summary>
internal sealed class BroadcastAnnouncer(
    ChannelReader<SegmentInfo> stored,
    ManifestStore manifests,
    INotificationSink sink,
    StepRetry retry,
    IAnnouncerOptions options,
    TimeProvider time,
    ILogger<BroadcastAnnouncer> logger) : IDisposable
{
    private readonly SortedDictionary<long, SegmentInfo> _outOfOrder = [];
    private readonly ChecksumSpool _contiguous = new(options.StagingPath);
    private long _contiguousBytes;
    private long _lastSentAt;
    private long _lastManifestAt;
    private bool _manifestDirty;
    private Manifest _manifest = null!;

    public async Task OpenAsync(string? topicArn, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        _manifest = new Manifest
        {
            SegmentSizeMb = options.SegmentSizeMiB,
            UploadBegan = now,
            FormatVersion = 1,
            State = BroadcastState.Open,
            SegmentSizeBytes = options.SegmentSizeBytes,
            ChecksumAlgorithm = SegmentChecksum.Algorithm,
            Notify = options.Notify.ToString().ToLowerInvariant(),
            TopicArn = topicArn,
            UpdatedAt = now,
            RelayedFrom = options.RelayedFrom,
        };
        await WriteManifestAsync(ct).ConfigureAwait(false);
        _lastManifestAt = time.GetTimestamp();
        await SendAsync(new BroadcastBegan { Bucket = Bucket, Broadcast = Broadcast, SegmentSize = options.SegmentSizeBytes, SentAt = now }, ct).ConfigureAwait(false);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        logger.LogInformation("Announcer started for {Broadcast}", manifests.Location);
        Task<bool>? ready = null;
        while (true)
        {
            // One wait for input stays pending across ticks, so timers never pile up readers on the channel.
            ready ??= stored.WaitToReadAsync(ct).AsTask();
            if (await Task.WhenAny(ready, Task.Delay(WaitTime(), time, ct)).ConfigureAwait(false) == ready)
            {
                var more = await ready.ConfigureAwait(false);
                ready = null;
                if (!more)
                {
                    break;
                }
                while (stored.TryRead(out var info))
                {
                    await AcceptAsync(info, ct).ConfigureAwait(false);
                }
            }
            ct.ThrowIfCancellationRequested();
            await TickAsync(ct).ConfigureAwait(false);
        }
        logger.LogInformation("Announcer finished: {Segments} segments announced", _contiguous.Count);
    }

    /// <summary>Writes the checksum index, the complete manifest, then the end-of-stream notification.</summary>
    public async Task CompleteAsync(long totalBytes, string sha256, CancellationToken ct)
    {
        if (_outOfOrder.Count > 0 || _contiguousBytes != totalBytes)
        {
            throw new FatalException(ExitCodes.Internal, $"stored {_contiguousBytes} contiguous bytes but read {totalBytes}; refusing to mark the broadcast complete");
        }
        // -t attempts, like the manifest: one unlucky PUT must not abort a broadcast whose segments are all stored.
        await retry.ExecuteAsync(async token => await manifests.WriteChecksumsAsync(_contiguous.Contents(), token).ConfigureAwait(false), ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        _manifest = (_manifest with
        {
            Completed = true,
            State = BroadcastState.Complete,
            StreamSha256 = sha256,
            UploadEnded = now,
            UpdatedAt = now,
        }).WithStored(_contiguous.Count, totalBytes, LastSize);
        await WriteManifestAsync(ct).ConfigureAwait(false);
        await SendAsync(new EndOfStream { Bucket = Bucket, Broadcast = Broadcast, Segments = _contiguous.Count, Bytes = totalBytes, Sha256 = sha256, SentAt = now }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the broadcast aborted so subscribers stop too. Best effort: the process is failing already. A publisher that
    /// never held the name (another publisher claimed it first) or lost it leaves manifest and subscribers alone.
    /// </summary>
    public async Task AbortAsync(string reason, CancellationToken ct)
    {
        if (!manifests.Owns)
        {
            logger.LogDebug("Not marking {Broadcast} aborted: this publisher does not hold it", manifests.Location);
            return;
        }
        var now = time.GetUtcNow();
        _manifest = ((_manifest ?? new Manifest { FormatVersion = 1, SegmentSizeMb = options.SegmentSizeMiB, SegmentSizeBytes = options.SegmentSizeBytes, RelayedFrom = options.RelayedFrom }) with
        {
            Completed = false,
            State = BroadcastState.Aborted,
            UploadEnded = now,
            UpdatedAt = now,
            AbortReason = reason,
        }).WithStored(_contiguous.Count, _contiguousBytes, LastSize);
        try
        {
            await WriteManifestAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Any failure, the cleanup deadline's cancellation included: the failure that caused the abort stays the one
            // reported, and the subscribers are still told.
            logger.LogError("Could not mark {Broadcast} aborted in its manifest: {Error}", manifests.Location, AwsErrors.Describe(e));
        }
        if (manifests.Owns)
        {
            // Not after losing the name to another publisher in this very write: its subscribers would take it for theirs.
            await SendAsync(new BroadcastAborted { Bucket = Bucket, Broadcast = Broadcast, Reason = reason, SentAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
        }
    }

    private long LastSize => _contiguous.LastSize;

    public void Dispose() => _contiguous.Dispose();

    private string Bucket => manifests.Location.Bucket;

    private string Broadcast => manifests.Location.Prefix;

    private async Task AcceptAsync(SegmentInfo info, CancellationToken ct)
    {
        await SendAsync(new SegmentReady
        {
            Bucket = Bucket,
            Broadcast = Broadcast,
            Index = info.Index,
            Key = KeyLayout.SegmentKey(Broadcast, info.Index),
            Offset = info.Offset,
            Size = info.Size,
            Checksum = info.Checksum,
            SentAt = time.GetUtcNow(),
        }, ct).ConfigureAwait(false);
        _outOfOrder[info.Index] = info;
        while (_outOfOrder.Remove(_contiguous.Count + 1, out var next))
        {
            _contiguous.Append(next);
            _contiguousBytes += next.Size;
            _manifestDirty = true;
        }
    }

    private TimeSpan WaitTime()
    {
        var heartbeat = options.HeartbeatInterval - time.GetElapsedTime(_lastSentAt);
        var manifest = _manifestDirty ? options.ManifestInterval - time.GetElapsedTime(_lastManifestAt) : heartbeat;
        var wait = heartbeat < manifest ? heartbeat : manifest;
        return wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1);
    }

    private async Task TickAsync(CancellationToken ct)
    {
        var idle = time.GetElapsedTime(_lastSentAt) >= options.HeartbeatInterval;
        if ((_manifestDirty && time.GetElapsedTime(_lastManifestAt) >= options.ManifestInterval) || idle)
        {
            // Rewritten on heartbeats too: with --notify none, updated_at is how subscribers tell an idle publisher from a dead one.
            var now = time.GetUtcNow();
            _manifest = (_manifest with { UpdatedAt = now }).WithStored(_contiguous.Count, _contiguousBytes, LastSize);
            await WriteManifestAsync(ct).ConfigureAwait(false);
            _lastManifestAt = time.GetTimestamp();
            _manifestDirty = false;
        }
        if (idle)
        {
            await SendAsync(new Heartbeat { Bucket = Bucket, Broadcast = Broadcast, StoredSegments = _contiguous.Count, StoredBytes = _contiguousBytes, SentAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
        }
    }

    private Task WriteManifestAsync(CancellationToken ct)
    {
        var manifest = _manifest;
        return retry.ExecuteAsync(async token => await manifests.WriteAsync(manifest, token).ConfigureAwait(false), ct).AsTask();
    }

    private async Task SendAsync(Notification notification, CancellationToken ct)
    {
        _lastSentAt = time.GetTimestamp();
        try
        {
            await sink.SendAsync(notification, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Subscribers fall back to the manifest, so a lost notification costs latency, not data; say so loudly.
            logger.LogWarning("Could not send {Type} notification for {Broadcast} to {Target}: {Error}",
                NotificationCodec.TypeName(notification), manifests.Location, sink.Target, AwsErrors.Describe(e));
        }
    }
}
