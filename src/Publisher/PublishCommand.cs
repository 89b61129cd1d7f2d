using System.CommandLine;
using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Fanout.Shared.Announcing;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Notifications;
using S3Fanout.Shared.Protocol;
using S3Fanout.Shared.Telemetry;

namespace S3Fanout.Publisher;

/// <summary>The <c>s3fanout-publish</c> command line.</summary>
internal static class PublishCommand
{
    public static Task<int> RunAsync(string[] args) => CliHost.RunAsync(CreateRoot(), S3pipe2Compat.DropVerb(args, "to"));

    public static RootCommand CreateRoot()
    {
        var common = new CommonOptions();
        var url = new Argument<string>("url") { Description = "where the broadcast goes: s3://bucket/name" };
        var segmentMiB = CliOptions.SegmentMiB($"segment size in MiB, {OptionLimits.SegmentMiB}");
        var workers = CliOptions.Workers("segments uploaded at once");
        var tries = CliOptions.Tries("attempts per segment (put then verify) and per manifest write");
        var staging = CliOptions.Staging("stage segments in files under this folder instead of memory");
        var bufferKb = CliOptions.BufferKb($"stdin read size in KB, {OptionLimits.BufferKb}");
        var progress = CliOptions.Progress();
        var transferTimeout = CliOptions.TransferTimeout();
        var flush = CliOptions.Duration("--flush-interval", "seal a partial segment once its first byte waited this long",
            TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        var heartbeat = CliOptions.Duration("--heartbeat-interval", "notify subscribers that the publisher is alive after this long without news",
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        var notifyWindow = CliOptions.Duration("--notify-window", "segment notices sealed within this window go out as one message (0: one per segment)",
            NotificationBudget.DefaultNotifyWindow, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var notify = CliOptions.Notify("how subscribers are told about segments: sns, sqs (straight to subscriber queues) or none (they follow the manifest)",
            NotifyMode.Sns, NotifyMode.Sns, NotifyMode.Sqs, NotifyMode.None);
        var topic = new Option<string?>("--topic") { Description = "SNS topic name or ARN (default: s3fanout-<bucket>, created if missing)", HelpName = "NAME|ARN" };
        var assemble = new Option<string?>("--assemble")
        {
            Description = "when the broadcast completes, also build it into one ordinary object here (server-side, see `s3fanout-subscribe assemble`)",
            HelpName = "s3://BUCKET/KEY",
        };
        var force = new Option<bool>("--force") { Description = "replace a broadcast that already exists at the prefix (deletes its objects first)" };
        var sse = CliOptions.Sse("server-side encryption of every object written", "none asked for, the bucket's default encryption applies");
        var replicas = CliOptions.Replicas();
        var checksum = CliOptions.WireChecksum();

        var root = new RootCommand(HelpText.Describe(
            "Pipe stdin through S3 to any number of subscribers, and keep it there as an archive.",
            "tar c -C /srv data | s3fanout-publish s3://bucket/nightly/data.tar             # a directory",
            "pg_dump mydb | s3fanout-publish -n 8 -m 64 s3://bucket/dumps/mydb               # a database dump",
            "tail -F app.log | s3fanout-publish --flush-interval 200ms s3://bucket/logs/app   # a log tail",
            "echo hello | s3fanout-publish -n 2 -m 1 -t 3 to bucket/compat/hello             # s3pipe2's command line"));
        common.AddTo(root);
        Option[] own = [segmentMiB, workers, tries, staging, bufferKb, progress, transferTimeout, flush, heartbeat, notifyWindow, notify, topic, force, .. sse.All, assemble, replicas, checksum];
        foreach (var option in own)
        {
            root.Options.Add(option);
        }
        root.Arguments.Add(url);

        root.SetAction(async (parse, ct) =>
        {
            var settings = common.ToAwsSettings(parse, parse.GetValue(tries), parse.GetValue(workers) * 2);
            var options = new PublisherOptions
            {
                Location = BroadcastLocation.Parse(S3pipe2Compat.NormalizeUrl(parse.GetRequiredValue(url))),
                SegmentSizeMiB = parse.GetValue(segmentMiB),
                Workers = parse.GetValue(workers),
                Tries = parse.GetValue(tries),
                ReadBufferBytes = parse.GetValue(bufferKb) * 1024,
                StagingPath = parse.GetValue(staging),
                FlushInterval = parse.GetValue(flush),
                HeartbeatInterval = parse.GetValue(heartbeat),
                NotifyWindow = parse.GetValue(notifyWindow),
                Notify = parse.GetValue(notify),
                Topic = parse.GetValue(topic),
                Force = parse.GetValue(force),
                AssembleTo = parse.GetValue(assemble) is { } to ? BroadcastLocation.Parse(S3pipe2Compat.NormalizeUrl(to)) : null,
                Sse = sse.Read(parse),
                Replicas = parse.GetValue(replicas),
                RequestTimeout = settings.RequestTimeout,
                TransferIdleTimeout = parse.GetValue(transferTimeout),
                UnsignedPayload = settings.EndpointUrl is null || settings.EndpointUrl.Scheme == Uri.UriSchemeHttps,
            };
            options.Validate();
            if (!Console.IsInputRedirected)
            {
                throw new UsageException("stdin is a terminal; pipe data in, e.g.: tar c DIR | s3fanout-publish s3://bucket/name");
            }
            using var host = S3FanoutHost.CreateBuilder(settings, common.ToLogSettings(parse)).Build();
            var services = host.Services;
            var aws = services.GetRequiredService<AwsConnection>();
            var sns = services.GetRequiredService<ISnsClient>();
            var time = services.GetRequiredService<TimeProvider>();
            var loggers = services.GetRequiredService<ILoggerFactory>();
            // Two publishers on one name: the first write of the manifest decides, through S3 conditional writes.
            options = options with
            {
                Conditions = new ConditionalWrites(loggers.CreateLogger<ConditionalWrites>()),
                Checksum = new WireChecksum(parse.GetValue(checksum), loggers.CreateLogger<WireChecksum>()),
            };
            var sink = new DeferredSink(c => NotificationSinks.OpenAsync(options.Notify, options.Location.Bucket, options.Topic, aws, sns, options.RequestTimeout, time, loggers, c));
            var coordinator = new PublishCoordinator(aws.S3, sink, options, loggers, time);
            await coordinator.CheckDestinationAsync(ct).ConfigureAwait(false);
            await sink.OpenAsync(ct).ConfigureAwait(false);

            await using var stdin = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            PublishResult result;
            await using (ProgressScope.StartIfWanted(parse.GetValue(progress), coordinator.Progress, "published", showLag: false))
            {
                result = await coordinator.RunAsync(stdin, ct).ConfigureAwait(false);
            }
            loggers.CreateLogger("s3fanout-publish").LogInformation("Published {Bytes} bytes in {Segments} segments to {Broadcast} in {Elapsed} ({Rate:F1} MiB/s), sha256 {Sha256}",
                result.Bytes, result.Segments, options.Location, result.Elapsed, result.Bytes / 1048576.0 / Math.Max(result.Elapsed.TotalSeconds, 0.001), result.Sha256);
            return ExitCodes.Ok;
        });
        return root;
    }
}
