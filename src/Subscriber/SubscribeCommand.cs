using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Notifications;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Shared.Telemetry;
using S3Fanout.Subscriber.Tracking;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber;

/// <summary>The <c>s3fanout-subscribe</c> command line: one broadcast to stdout or a file.</summary>
internal static class SubscribeCommand
{
    public static Task<int> RunAsync(string[] args) => CliHost.RunAsync(CreateRoot(), S3pipe2Compat.DropVerb(args, "from"));

    public static RootCommand CreateRoot()
    {
        var common = new CommonOptions();
        var url = new Argument<string>("url") { Description = "the broadcast to follow: s3://bucket/name" };
        var workers = CliOptions.Workers("segments fetched at once; at most n + 1 are held in memory");
        var tries = CliOptions.Tries("attempts per segment (fetch then verify)");
        var staging = CliOptions.Staging("hold fetched segments in files under this folder instead of memory");
        var progress = CliOptions.Progress();
        var transferTimeout = CliOptions.TransferTimeout();
        // s3pipe2's subscriber took the publisher's -m and -b too; its command lines keep working.
        var segmentMiB = CliOptions.SegmentMiB("ignored: the segment size is the publisher's (accepted for s3pipe2 command lines)");
        var bufferKb = CliOptions.BufferKb("ignored (accepted for s3pipe2 command lines)");
        var output = new Option<string?>("-o", "--output") { Description = "write to FILE (renamed into place only after the stream verified) instead of stdout", HelpName = "FILE" };
        var wait = CliOptions.Duration("--wait", "how long to wait for a broadcast that has not started",
            TimeSpan.FromSeconds(60), TimeSpan.Zero, TimeSpan.FromDays(7));
        var stall = CliOptions.Duration("--stall-timeout", "fail when the publisher sends no heartbeat and no data for this long",
            TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        var poll = CliOptions.Duration("--poll-interval", "read the manifest after this long without notifications",
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        var notify = CliOptions.Notify("auto (as the manifest says, else sns), sns, sqs or none (follow the manifest only)",
            NotifyMode.Auto, NotifyMode.Auto, NotifyMode.Sns, NotifyMode.Sqs, NotifyMode.None);
        var topic = new Option<string?>("--topic") { Description = "SNS topic name or ARN (default: s3fanout-<bucket>)", HelpName = "NAME|ARN" };
        var filterPolicy = new Option<bool>("--filter-policy")
        {
            Description = "subscribe with an SNS filter policy on the broadcast (small fleets sharing a busy topic; SNS allows 200 a topic)",
        };
        var receiveInterval = CliOptions.Duration("--receive-interval", "least time between two SQS receives while notifications flow",
            NotificationBudget.DefaultReceiveInterval, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        var resume = new Option<bool>("--resume") { Description = "with -o: continue FILE.partial from where an interrupted run stopped" };
        var identity = CliOptions.Identity();

        var root = new RootCommand(HelpText.Describe(
            "Receive a broadcast from S3, in order and verified, while it is still being published (or long after).\n"
            + "Stored broadcasts: ls, info, verify and rm; the mirror service: serve (see s3fanout-subscribe COMMAND --help).",
            "s3fanout-subscribe s3://bucket/nightly/data.tar | tar x -C /srv/mirror     # a directory",
            "s3fanout-subscribe -n 8 s3://bucket/dumps/mydb | psql mydb                 # a database dump",
            "s3fanout-subscribe --stall-timeout 5m s3://bucket/logs/app | grep ERROR    # a log tail",
            "s3fanout-subscribe -o app.log s3://bucket/logs/app                         # to a file, renamed when verified",
            "s3fanout-subscribe ls s3://bucket/nightly/                                 # what is stored"));
        common.AddTo(root);
        foreach (var option in new Option[] { workers, tries, staging, progress, transferTimeout, segmentMiB, bufferKb, output, wait, stall, poll, notify, topic, filterPolicy, receiveInterval, resume, identity })
        {
            root.Options.Add(option);
        }
        root.Arguments.Add(url);
        Subcommands.AddTo(root, url);
        root.SetAction(FollowOneAsync);
        return root;

        async Task<int> FollowOneAsync(ParseResult parse, CancellationToken ct)
        {
            var options = new SubscriberOptions
            {
                Location = BroadcastLocation.Parse(S3pipe2Compat.NormalizeUrl(parse.GetRequiredValue(url))),
                Workers = parse.GetValue(workers),
                Tries = parse.GetValue(tries),
                StagingPath = parse.GetValue(staging),
                OutputFile = parse.GetValue(output),
                Wait = parse.GetValue(wait),
                StallTimeout = parse.GetValue(stall),
                PollInterval = parse.GetValue(poll),
                Notify = parse.GetValue(notify),
                Topic = parse.GetValue(topic),
                FilterPolicy = parse.GetValue(filterPolicy),
                ReceiveInterval = parse.GetValue(receiveInterval),
                Resume = parse.GetValue(resume),
                Progress = parse.GetValue(progress),
                Identity = parse.GetValue(identity) ?? ReplicaChoice.DefaultIdentity,
                RequestTimeout = parse.GetValue(common.RequestTimeout),
                TransferIdleTimeout = parse.GetValue(transferTimeout),
            };
            options.Validate();
            if (options.OutputFile is null && !Console.IsOutputRedirected)
            {
                throw new UsageException("stdout is a terminal; pipe the output somewhere (| tar x, > file) or give -o FILE");
            }
            using var host = common.BuildHost(parse, options.Tries, options.Workers * 2);
            var loggers = host.Services.GetRequiredService<ILoggerFactory>();
            var result = await FollowAsync(options, host.Services, sink: null, ct).ConfigureAwait(false);
            loggers.CreateLogger("s3fanout-subscribe").LogInformation("Received {Bytes} bytes in {Segments} segments from {Broadcast} in {Elapsed} ({Rate:F1} MiB/s), sha256 {Sha256}",
                result.Bytes, result.Segments, options.Location, result.Elapsed, result.Bytes / 1048576.0 / Math.Max(result.Elapsed.TotalSeconds, 0.001), result.Sha256);
            return ExitCodes.Ok;
        }
    }

    /// <summary>
    /// Follows one broadcast with the services of an <see cref="S3FanoutHost"/>: the command's whole composition. The
    /// scale harness (bench/S3Fanout.Bench) runs many of these in one process on one host, each with its own queue.
    /// </summary>
    /// <param name="sink">Where the verified bytes go; null: stdout, or <c>-o FILE</c>. Disposed when the read ends.</param>
    internal static async Task<ReadResult> FollowAsync(SubscriberOptions options, IServiceProvider services, ISegmentSink? sink, CancellationToken ct)
    {
        var aws = services.GetRequiredService<AwsConnection>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        var location = options.Location;
        var manifests = new ManifestStore(services.GetRequiredService<BroadcastStore>(), location);
        using var tracker = new BroadcastTracker(location, time, loggers.CreateLogger<BroadcastTracker>());
        // A 403 here may be a broadcast that has not begun (no s3:ListBucket): waited for like a missing one, up to --wait.
        var manifest = await manifests.TryReadAsync(ct, awaitingStart: true).ConfigureAwait(false);
        if (manifest is not null)
        {
            tracker.ApplyManifest(manifest);
        }

        var sources = new List<Func<CancellationToken, Task>>();
        var subscription = await FollowNewsAsync(options, manifest, manifests, tracker, sources, services, ct).ConfigureAwait(false);
        try
        {
            var follower = new BroadcastReader(aws.S3, tracker, manifests, options, () => subscription?.Listening == true, loggers, time)
            {
                Joining = () => subscription is { Listening: false },
            };
            await using (ProgressScope.StartIfWanted(options.Progress, follower.Progress, "received", showLag: true))
            {
                return await WriteAsync(options, follower, tracker, sources, sink, loggers.CreateLogger("s3fanout-subscribe"), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (subscription is not null)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Lets <paramref name="tracker"/> learn of <paramref name="options"/>' broadcast beside its manifest, for every reader
    /// that follows one live (subscribe, relay): a finished broadcast's checksum index; else, unless notifications are off,
    /// a queue of its own whose receiver joins <paramref name="sources"/> (subscribed to the topic in the background with
    /// SNS). Returns that queue for the caller to dispose, or null.
    /// </summary>
    internal static async Task<QueueSubscription?> FollowNewsAsync(
        SubscriberOptions options, Manifest? manifest, ManifestStore manifests, BroadcastTracker tracker, List<Func<CancellationToken, Task>> sources,
        IServiceProvider services, CancellationToken ct)
    {
        var aws = services.GetRequiredService<AwsConnection>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var location = options.Location;
        QueueSubscription? subscription = null;
        var mode = options.Notify == NotifyMode.Auto ? NotifyModes.FromManifest(manifest?.Notify) : options.Notify;
        try
        {
            if (manifest is { State: BroadcastState.Complete })
            {
                // A finished broadcast is a plain parallel download, checked against the publisher's checksum index.
                if (await manifests.TryOpenChecksumsAsync(ct).ConfigureAwait(false) is { } checksums)
                {
                    tracker.UseChecksums(checksums.OpenReader());
                }
            }
            else if (mode is NotifyMode.Sns or NotifyMode.Sqs && manifest is not { IsLegacy: true })
            {
                var sns = mode == NotifyMode.Sns ? services.GetRequiredService<ISnsClient>() : null;
                subscription = await OpenQueueAsync(options, aws, sns, loggers, ct).ConfigureAwait(false);
                var receiver = new NotificationReceiver(aws.Sqs, subscription.QueueUrl, new HashSet<string> { location.Bucket },
                    n =>
                    {
                        if (n.Broadcast != location.Prefix)
                        {
                            return false;
                        }
                        tracker.Apply(n);
                        return true;
                    },
                    loggers.CreateLogger<NotificationReceiver>())
                {
                    RequestTimeout = options.RequestTimeout,
                    ReceiveInterval = options.ReceiveInterval,
                };
                sources.Add(receiver.RunAsync);
                // The manifest is followed at once; notifications count once the queue is subscribed (with --notify sqs
                // the queue alone is enough), so a slow or throttled Subscribe never holds the stream back.
                var queue = subscription;
                if (sns is null)
                {
                    queue.MarkListening();
                    await CatchUpAsync(manifests, tracker, ct).ConfigureAwait(false);
                }
                else
                {
                    sources.Add(t => SubscribeInBackgroundAsync(options, queue, manifests, tracker, loggers.CreateLogger<QueueSubscription>(), t));
                }
            }
            return subscription;
        }
        catch
        {
            if (subscription is not null)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    private static async Task<QueueSubscription> OpenQueueAsync(SubscriberOptions options, AwsConnection aws, ISnsClient? sns, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            return await QueueSubscription.CreateQueueAsync(aws.Sqs, sns, options.Location.Bucket, options.Location.Prefix, loggers.CreateLogger<QueueSubscription>(), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, "cannot create the subscriber queue");
        }
    }

    /// <summary>Subscribes the queue to the channel's topic while the reader follows the manifest; then reads the manifest once more.</summary>
    private static async Task SubscribeInBackgroundAsync(
        SubscriberOptions options, QueueSubscription queue, ManifestStore manifests, BroadcastTracker tracker, ILogger logger, CancellationToken ct)
    {
        var topic = options.Topic ?? ChannelNames.DefaultTopicName(options.Location.Bucket);
        try
        {
            await queue.SubscribeAsync(topic, SubscriptionPolicies.ForSubscriber(options), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Mid-stream now (the reader is already following the manifest): notifications are a fast path, so no SNS
            // failure, an unreachable SNS included, may end a read that is going well.
            logger.LogWarning("Cannot subscribe to SNS topic {Topic} ({Error}); using the subscriber queue only (for --notify sqs publishers) and the manifest", topic, AwsErrors.Describe(e));
        }
        queue.MarkListening();
        // Anything stored between the first manifest read and the subscription is caught here.
        await CatchUpAsync(manifests, tracker, ct).ConfigureAwait(false);
    }

    private static async Task CatchUpAsync(ManifestStore manifests, BroadcastTracker tracker, CancellationToken ct)
    {
        // Before the broadcast is known to exist, a 403 on the manifest (no s3:ListBucket) is "not begun yet".
        if (await manifests.TryReadAsync(ct, awaitingStart: !tracker.Exists).ConfigureAwait(false) is { } again)
        {
            tracker.ApplyManifest(again);
        }
    }

    private static async Task<ReadResult> WriteAsync(
        SubscriberOptions options, BroadcastReader follower, BroadcastTracker tracker, List<Func<CancellationToken, Task>> sources, ISegmentSink? given, ILogger logger, CancellationToken ct)
    {
        // -o FILE: FILE.partial (and FILE.partial.state) hold the progress; FILE appears only once the stream verified.
        await using ISegmentSink sink = given ?? (options.OutputFile is null
            ? new StdoutSink()
            : await FileSink.OpenAsync(options.OutputFile + ".partial", options.OutputFile, options.Location.ToString(), tracker.UploadBegan, options.Resume,
                () => tracker.UploadBegan, logger, ct).ConfigureAwait(false));
        return await follower.RunAsync(sink, sources, ct).ConfigureAwait(false);
    }
}
