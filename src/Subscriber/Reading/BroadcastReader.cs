using System.Threading.Channels;
using Amazon.S3;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Reading;

/// <summary>
/// The one reader of broadcasts, for subscribe, serve and verify: planner → fetchers → reorder window → ordered writer,
/// with the watcher (manifest polls, stall and wait timeouts) and any notification source beside them while it follows a
/// live broadcast. Every segment is checked by <see cref="SegmentVerification"/>; what a bad one does is the
/// <see cref="FailurePolicy"/>'s choice. Under <see cref="FailurePolicy.AbortOnFirstBadSegment"/> a bad segment ends the
/// read at its turn in the writer, and the first failure of any stage cancels every other stage.
/// </summary>
internal sealed class BroadcastReader(
    IAmazonS3 s3,
    BroadcastTracker tracker,
    ManifestStore manifests,
    SubscriberOptions options,
    Func<bool> notificationsExpected,
    ILoggerFactory loggers,
    TimeProvider time,
    FailurePolicy policy = FailurePolicy.AbortOnFirstBadSegment)
{
    private readonly Lock _gate = new();
    private Task? _manifestRead;

    /// <summary>Live counters for the progress display and metrics.</summary>
    public TransferProgress Progress { get; } = new("subscribe");

    /// <summary>True while a subscription is still being made: the manifest is then polled with a growing, jittered interval.</summary>
    public Func<bool>? Joining { get; init; }

    /// <summary>Follows the broadcast, live or finished, to its end, and completes the sink once the stream verified.</summary>
    public Task<ReadResult> RunAsync(ISegmentSink sink, IReadOnlyList<Func<CancellationToken, Task>> notificationSources, CancellationToken ct) =>
        ReadAsync(sink, storedSegments: null, notificationSources, ct);

    /// <summary>The manifest, read once by the first fetch that needs it; a failure to read it only means reading primaries.</summary>
    private Task KnowManifestAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return _manifestRead ??= ReadManifestOnceAsync(ct);
        }
    }

    private async Task ReadManifestOnceAsync(CancellationToken ct)
    {
        try
        {
            if (await manifests.TryReadAsync(ct).ConfigureAwait(false) is { } manifest)
            {
                tracker.ApplyManifest(manifest);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            loggers.CreateLogger<BroadcastReader>().LogDebug("The manifest could not be read before the first fetch, so primaries are read: {Error}", AwsErrors.Classify(e).Line);
        }
    }

    /// <summary>Reads segments 1..<paramref name="segments"/> as they are stored now, awaiting none (verify).</summary>
    public Task<ReadResult> ReadStoredAsync(long segments, ISegmentSink sink, CancellationToken ct) =>
        ReadAsync(sink, segments, [], ct);

    private async Task<ReadResult> ReadAsync(
        ISegmentSink sink,
        long? storedSegments,
        IReadOnlyList<Func<CancellationToken, Task>> notificationSources,
        CancellationToken ct)
    {
        var resume = sink.Resume;
        tracker.Forget(resume?.Segments ?? 0);
        var started = time.GetTimestamp();
        using var window = new ReorderWindow(options.Workers + 1, (resume?.Segments ?? 0) + 1);
        using var buffers = new SegmentBufferFactory(options.StagingPath, "subscribe");
        var jobs = Channel.CreateBounded<long>(new BoundedChannelOptions(options.Workers) { SingleWriter = true });
        // Each attempt is bounded by the fetcher's no-progress watchdog rather than a fixed time: a large segment may
        // rightly take minutes. A 503 SlowDown is no failure and does not use up -t: the process's governor spaces the
        // tries, for as long as the stall timeout allows with no success at all.
        var retry = new StepRetry(options.Tries, loggers.CreateLogger<SegmentFetcher>(), attemptTimeout: Timeout.InfiniteTimeSpan, time: time,
            slowDowns: SlowDownGovernor.Shared, slowDownLimit: options.StallTimeout);
        var planner = new FetchPlanner(tracker, window, jobs.Writer, loggers.CreateLogger<FetchPlanner>()) { StoredSegments = storedSegments };
        var fetcher = new SegmentFetcher(jobs.Reader, window, tracker, s3, buffers, retry, options, policy, time, loggers.CreateLogger<SegmentFetcher>())
        {
            StoredOnly = storedSegments is not null,
            KnowManifestAsync = KnowManifestAsync,
        };
        var writer = new OrderedWriter(window, tracker, sink.Stream, policy, loggers.CreateLogger<OrderedWriter>(), resume, sink.Checkpoint, Progress);
        var background = new List<Func<CancellationToken, Task>>(notificationSources);
        if (storedSegments is null)
        {
            background.Add(new BroadcastWatcher(tracker, manifests, options, notificationsExpected, time, loggers.CreateLogger<BroadcastWatcher>(), Joining).RunAsync);
        }

        using var done = new CancellationTokenSource();
        // Once the writer reached the end, a fetch still running can only be for an index past the end (a heartbeat or
        // manifest that claimed more segments than the broadcast has): it would look for it forever.
        await StageGroup.RunAsync(ct, [planner.RunAsync, UntilDone(fetcher.RunAsync, done.Token), async t =>
        {
            await writer.RunAsync(t).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
        }, .. background.Select(stage => UntilDone(stage, done.Token))]).ConfigureAwait(false);
        if (writer.Bad.Count == 0 && writer.Failed.Count == 0)
        {
            await sink.CompleteAsync(ct).ConfigureAwait(false);
        }
        return new ReadResult(writer.BytesWritten, writer.SegmentsWritten, writer.StreamSha256, time.GetElapsedTime(started), writer.Bad, writer.Failed);
    }

    /// <summary>Background stages run until the stream is written, then stop quietly.</summary>
    internal static Func<CancellationToken, Task> UntilDone(Func<CancellationToken, Task> stage, CancellationToken done) => async ct =>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, done);
        try
        {
            await stage(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested && !ct.IsCancellationRequested)
        {
        }
    };
}
