using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Mirrors one broadcast of a channel into the channel's sink, exactly as the one-shot subscriber follows a broadcast,
/// with its tracker fed by the service's shared notification queue. Records the run and its outcome in the state store;
/// how far it got is the sink's own business.
/// </summary>
internal sealed class MirrorJob(
    ChannelAddress channel,
    ChannelOptions channelOptions,
    BroadcastTracker tracker,
    string id,
    FleetAws aws,
    StateStore states,
    FleetOptions options,
    ILoggerFactory loggers) : IMirrorJob
{
    private readonly ILogger _logger = loggers.CreateLogger<MirrorJob>();

    public string Id => id;

    public BroadcastTracker Tracker => tracker;

    public string? LastError { get; private set; }

    /// <summary>Mirrors the broadcast; false when it failed (already logged and recorded).</summary>
    public async Task<bool> RunAsync(CancellationToken ct)
    {
        var location = tracker.Location;
        var url = location.ToString();
        var previous = states.Load(id);
        _logger.LogInformation("Mirroring {Url} into the {Sink} sink", url, channelOptions.Sink.Type);
        try
        {
            var manifests = new ManifestStore(BroadcastStore.Open(aws.Connection, loggers), location);
            if (await manifests.TryReadAsync(ct).ConfigureAwait(false) is { } manifest)
            {
                tracker.ApplyManifest(manifest);
                if (manifest.State == BroadcastState.Complete && await manifests.TryOpenChecksumsAsync(ct).ConfigureAwait(false) is { } checksums)
                {
                    tracker.UseChecksums(checksums.OpenReader());
                }
            }
            Record(MirrorStatus.Mirroring);
            await using var sink = await OpenSinkAsync(url, previous, ct).ConfigureAwait(false);
            var subscriberOptions = new SubscriberOptions
            {
                Location = location,
                Workers = options.Workers,
                Tries = options.Tries,
                StallTimeout = options.StallTimeout,
                PollInterval = options.PollInterval,
                RequestTimeout = options.RequestTimeout,
                TransferIdleTimeout = options.TransferTimeout,
                Wait = options.StallTimeout,
                Identity = options.Identity ?? $"{ReplicaChoice.DefaultIdentity}:{options.StateDirectory}",
            };
            var follower = new BroadcastReader(aws.Connection.S3, tracker, manifests, subscriberOptions, notificationsExpected: () => true, loggers, TimeProvider.System);
            var result = await follower.RunAsync(sink, [], ct).ConfigureAwait(false);
            Record(MirrorStatus.Done, "sha256 " + result.Sha256, result.Segments, result.Bytes);
            _logger.LogInformation("Mirrored {Url}: {Bytes} bytes in {Segments} segments, sha256 {Sha256}", url, result.Bytes, result.Segments, result.Sha256);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: a file sink keeps its checkpoint and resumes at the next start; a command sink starts over then.
            _logger.LogInformation("Stopped mirroring {Url} for shutdown; it continues at the next start", url);
            throw;
        }
        catch (Exception e)
        {
            var reason = e is FatalException f ? f.Message : AwsErrors.ToFatal(e, "mirror").Message;
            _logger.LogError("Mirroring {Url} failed: {Reason}", url, reason);
            Record(MirrorStatus.Failed, reason);
            LastError = $"{url}: {reason}";
            return false;
        }
    }

    private void Record(MirrorStatus status, string? detail = null, long segments = 0, long bytes = 0) => states.Save(id, new MirrorRecord
    {
        Url = tracker.Location.ToString(),
        UploadBegan = tracker.UploadBegan,
        Status = status,
        Segments = segments,
        Bytes = bytes,
        Detail = detail,
        UpdatedAt = DateTimeOffset.UtcNow,
    });

    /// <param name="previous">The record before this run: an interrupted run resumes, a failed one starts over.</param>
    private async Task<ISegmentSink> OpenSinkAsync(string url, MirrorRecord? previous, CancellationToken ct)
    {
        var broadcast = tracker.Location.Prefix;
        switch (channelOptions.Sink.Kind)
        {
            case SinkType.Directory:
                var root = Path.GetFullPath(channelOptions.Sink.Path!);
                if (!BroadcastNames.TryMapToFile(root, channel.Relative(broadcast), out var path, out var reason))
                {
                    throw new FatalException(ExitCodes.Usage, $"refusing to mirror {url}: {reason}");
                }
                // The bytes of a failed run may be what failed (a final checksum mismatch), so it is not resumed.
                var resume = previous is not { Status: MirrorStatus.Failed };
                var work = Directory.CreateDirectory(Path.Combine(root, ".s3fanout")).FullName;
                return await FileSink.OpenAsync(Path.Combine(work, id + ".partial"), path, url, tracker.UploadBegan, resume, () => tracker.UploadBegan, _logger, ct).ConfigureAwait(false);
            case SinkType.Command:
                if (previous is { Status: MirrorStatus.Mirroring })
                {
                    _logger.LogWarning("Restarting {Url} from its first byte into a fresh run of the sink command (a pipe cannot be resumed)", url);
                }
                return CommandSink.Start(channelOptions.Sink.Command!, url, broadcast, channelOptions.Sink.ExitTimeout, _logger);
            case SinkType.Stdout:
                return new StdoutSink();
            default:
                throw new InvalidOperationException($"sink type '{channelOptions.Sink.Type}' passed validation");
        }
    }
}
