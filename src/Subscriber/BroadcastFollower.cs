using System.Threading.Channels;
using Amazon.S3;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Pipeline;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Fetching;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber;

internal sealed record FollowResult(long Bytes, long Segments, string Sha256, TimeSpan Elapsed);

/// <summary>
/// Follows one broadcast into one sink: planner → fetchers → reorder window → ordered writer, with the watcher
/// (manifest polls, stall and wait timeouts) and any notification source running beside them until the writer
/// has verified the whole stream. The first failure cancels everything.
/// </summary>
internal sealed class BroadcastFollower(
    IAmazonS3 s3,
    BroadcastTracker tracker,
    ManifestStore manifests,
    SubscriberOptions options,
    bool notificationsExpected,
    ILoggerFactory loggers,
    TimeProvider time)
{
    /// <summary>Live counters for the progress display and metrics.</summary>
    public TransferProgress Progress { get; } = new("subscribe");

    /// <param name="resume">Where a resumed sink stands; null to start at segment 1.</param>
    /// <param name="checkpoint">Records the position after each segment, for a later resume.</param>
    public async Task<FollowResult> RunAsync(
        Stream sink,
        IReadOnlyList<Func<CancellationToken, Task>> notificationSources,
        CancellationToken ct,
        ResumePoint? resume = null,
        CheckpointAsync? checkpoint = null)
    {
        var started = time.GetTimestamp();
        using var window = new ReorderWindow(options.Workers + 1, (resume?.Segments ?? 0) + 1);
        using var buffers = new SegmentBufferFactory(options.StagingPath, "subscribe");
        var jobs = Channel.CreateBounded<long>(new BoundedChannelOptions(options.Workers) { SingleWriter = true });
        var retry = new StepRetry(options.Tries, loggers.CreateLogger<SegmentFetcher>());
        var planner = new FetchPlanner(tracker, window, jobs.Writer, loggers.CreateLogger<FetchPlanner>());
        var fetcher = new SegmentFetcher(jobs.Reader, window, tracker, s3, buffers, retry, options, time, loggers.CreateLogger<SegmentFetcher>());
        var writer = new OrderedWriter(window, tracker, sink, loggers.CreateLogger<OrderedWriter>(), resume, checkpoint, Progress);
        var watcher = new BroadcastWatcher(tracker, manifests, options, notificationsExpected, time, loggers.CreateLogger<BroadcastWatcher>());

        using var done = new CancellationTokenSource();
        var background = notificationSources.Append(watcher.RunAsync).Select(stage => UntilDone(stage, done.Token));
        // Once the writer verified the whole stream, a fetch still running can only be for an index past the end (a
        // heartbeat or manifest that claimed more segments than the broadcast has): it would look for it forever.
        await StageGroup.RunAsync(ct, [planner.RunAsync, UntilDone(fetcher.RunAsync, done.Token), async t =>
        {
            await writer.RunAsync(t).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
        }, .. background]).ConfigureAwait(false);
        return new FollowResult(writer.BytesWritten, writer.SegmentsWritten, writer.StreamSha256!, time.GetElapsedTime(started));
    }

    /// <summary>Background stages run until the stream is written, then stop quietly.</summary>
    private static Func<CancellationToken, Task> UntilDone(Func<CancellationToken, Task> stage, CancellationToken done) => async ct =>
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
