using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Notifications;
using S3Fanout.Subscriber.Archive;

namespace S3Fanout.Subscriber.Relay;

/// <summary>
/// <c>s3fanout-subscribe relay s3://SRC/NAME s3://DST/NAME2</c>: mirrors a broadcast, live, into another bucket or
/// prefix (in another region if need be) by server-side copies, and announces it there as a publisher does.
/// </summary>
internal sealed class RelayCommand : ArchiveCommand
{
    private readonly Argument<string> _from = new("from") { Description = "the broadcast to relay: s3://bucket/name" };
    private readonly Argument<string> _to = new("to") { Description = "where its copy is announced: s3://bucket/name" };
    private readonly Option<int> _workers = CliOptions.Workers("segments copied at once");
    private readonly Option<int> _replicas = CliOptions.Replicas();
    private readonly Option<WireChecksumMode> _checksum = CliOptions.WireChecksum();
    private readonly Option<int> _tries = CliOptions.Tries("attempts per copy (copy then check) and per manifest write");
    private readonly Option<string?> _staging = CliOptions.Staging("keep the checksum index as it grows under this folder");
    private readonly Option<TimeSpan> _transferTimeout = CliOptions.TransferTimeout();
    private readonly Option<string?> _toRegion = new("--to-region") { Description = "the destination's region (default: the source's, -r)", HelpName = "REGION" };
    private readonly Option<string?> _toEndpoint = new("--to-endpoint-url") { Description = "the destination's endpoint (default: the source's, --endpoint-url)", HelpName = "URL" };
    private readonly Option<TimeSpan> _wait = CliOptions.Duration("--wait", "how long to wait for a source broadcast that has not started",
        TimeSpan.FromSeconds(60), TimeSpan.Zero, TimeSpan.FromDays(7));
    private readonly Option<TimeSpan> _stall = CliOptions.Duration("--stall-timeout", "abort the copy when the source's publisher sends no heartbeat and no data for this long",
        TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
    private readonly Option<TimeSpan> _poll = CliOptions.Duration("--poll-interval", "read the source's manifest after this long without notifications",
        TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
    private readonly Option<NotifyMode> _fromNotify = CliOptions.Notify("--from-notify", "how the source is followed: auto (as its manifest says), sns, sqs or none",
        NotifyMode.Auto, NotifyMode.Auto, NotifyMode.Sns, NotifyMode.Sqs, NotifyMode.None);
    private readonly Option<string?> _fromTopic = new("--from-topic") { Description = "the source's SNS topic (default: s3fanout-<source bucket>)", HelpName = "NAME|ARN" };
    private readonly Option<NotifyMode> _notify = CliOptions.Notify("how the copy's subscribers are told, as for the publisher: sns, sqs or none",
        NotifyMode.Sns, NotifyMode.Sns, NotifyMode.Sqs, NotifyMode.None);
    private readonly Option<string?> _topic = new("--topic") { Description = "the destination's SNS topic (default: s3fanout-<destination bucket>, created if missing)", HelpName = "NAME|ARN" };
    private readonly SseOptions _sse = CliOptions.Sse("server-side encryption of every object the relay writes (copies, replicas, .manifest, .checksums)",
        "the destination bucket's default encryption");
    private readonly Option<TimeSpan> _heartbeat = CliOptions.Duration("--heartbeat-interval", "tell the copy's subscribers the relay is alive after this long without news",
        TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));

    public RelayCommand()
    {
        Epilog = HelpText.Describe(
            "Follow a broadcast live and mirror it into another bucket or prefix with server-side copies (CopyObject): no\n"
            + "segment byte passes through this machine. Each copy is checked against the publisher's CRC-64/NVME by the\n"
            + "checksum S3 returns for it (an endpoint that returns none: by downloading the copy). The copy is announced as a\n"
            + "publisher announces: its own .manifest (relayed_from), .checksums and notifications. Relays chain. --sse and\n"
            + "--sse-kms-key-id encrypt every object it writes (a copy does not keep the source's key unless asked). Exit codes:\n"
            + "3 destination used or source missing, 4 access denied, 6 a copy failed -t times, 7 a copy did not match the\n"
            + "publisher's CRC-64/NVME (never announced), 8 the source was aborted or stalled (the copy is marked aborted too).",
            "s3fanout-subscribe relay s3://bucket/nightly/data.tar s3://mirror-bucket/nightly/data.tar",
            "s3fanout-subscribe relay -r us-east-1 --to-region eu-west-1 s3://us-bucket/logs/app s3://eu-bucket/logs/app");
        Command = new Command("relay", Summary);
        Command.Arguments.Add(_from);
        Command.Arguments.Add(_to);
        Option[] own = [_workers, _tries, _staging, _transferTimeout, _toRegion, _toEndpoint, _wait, _stall, _poll, _fromNotify, _fromTopic, _notify, _topic, _heartbeat, _replicas, _checksum, .. _sse.All];
        foreach (var option in own)
        {
            Command.Options.Add(option);
        }
        Common.AddTo(Command);
    }

    private const string Summary = "Mirror a broadcast, live, into another bucket or region by server-side copies, and announce it there.";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var workers = parse.GetValue(_workers);
        var tries = parse.GetValue(_tries);
        var requestTimeout = parse.GetValue(Common.RequestTimeout);
        var options = new RelayOptions
        {
            Source = new SubscriberOptions
            {
                Location = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_from)),
                Workers = workers,
                Tries = tries,
                Wait = parse.GetValue(_wait),
                StallTimeout = parse.GetValue(_stall),
                PollInterval = parse.GetValue(_poll),
                Notify = parse.GetValue(_fromNotify),
                Topic = parse.GetValue(_fromTopic),
                RequestTimeout = requestTimeout,
            },
            Destination = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_to)),
            Workers = workers,
            Tries = tries,
            StagingPath = parse.GetValue(_staging),
            Notify = parse.GetValue(_notify),
            Topic = parse.GetValue(_topic),
            HeartbeatInterval = parse.GetValue(_heartbeat),
            Replicas = parse.GetValue(_replicas),
            RequestTimeout = requestTimeout,
            TransferIdleTimeout = parse.GetValue(_transferTimeout),
            Sse = _sse.Read(parse),
        };
        options.Validate();
        var toEndpoint = parse.GetValue(_toEndpoint);
        if (toEndpoint is not null && !(Uri.TryCreate(toEndpoint, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"))
        {
            throw new UsageException($"--to-endpoint-url '{toEndpoint}' is not an http(s) URL");
        }
        var settings = Common.ToAwsSettings(parse, tries, workers * 2);
        using var host = S3FanoutHost.CreateBuilder(settings, Common.ToLogSettings(parse)).Build();
        var services = host.Services;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        var source = services.GetRequiredService<AwsConnection>();
        var toRegion = parse.GetValue(_toRegion);
        // Another region or endpoint: a connection of its own. CopyObject goes to the destination's, which reads the source.
        using var elsewhere = toRegion is null && toEndpoint is null
            ? null
            : AwsConnection.Open(settings with { Region = toRegion ?? source.Region.SystemName, EndpointUrl = toEndpoint is null ? settings.EndpointUrl : new Uri(toEndpoint) });
        var destination = elsewhere ?? source;
        using var elsewhereSns = elsewhere?.CreateSns(loggers);
        ISnsClient destinationSns = elsewhereSns ?? services.GetRequiredService<ISnsClient>();
        options = options with
        {
            Conditions = new ConditionalWrites(loggers.CreateLogger<ConditionalWrites>()),
            Checksum = new WireChecksum(parse.GetValue(_checksum), loggers.CreateLogger<WireChecksum>()),
        };
        var result = await new RelayCoordinator(services, destination, destinationSns, options, loggers, time).RunAsync(ct).ConfigureAwait(false);
        loggers.CreateLogger("s3fanout-subscribe").LogInformation(
            "Relayed {Bytes} bytes in {Segments} segments from {Source} to {Destination} in {Elapsed} ({ByChecksum} copies checked by S3's checksum, {ByDownload} by download), sha256 {Sha256}",
            result.Bytes, result.Segments, options.Source.Location, options.Destination, result.Elapsed, result.CheckedByCopyChecksum, result.CheckedByDownload, result.Sha256);
        return ExitCodes.Ok;
    }
}
