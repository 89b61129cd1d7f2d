using System.CommandLine;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary><c>s3fanout-subscribe info s3://bucket/name</c>: one broadcast's manifest, readable or as JSON.</summary>
internal sealed class InfoCommand : ArchiveCommand
{
    private readonly Option<int> _tries = CliOptions.Tries("attempts per read");
    private readonly Argument<string> _url = ArchiveCli.BroadcastArgument("to describe");
    private readonly Option<bool> _json = ArchiveCli.JsonOption("the manifest");

    public InfoCommand()
    {
        Epilog = HelpText.Describe(
            "Show one broadcast's manifest: state, size, segments, times, stream SHA-256, checksums and notifications.",
            "s3fanout-subscribe info s3://bucket/backups/etc.tar",
            "s3fanout-subscribe info --json s3://bucket/dumps/mydb | jq -r .stream_sha256");
        Command = ArchiveCli.Define("info", Summary, Common, _url, _json, _tries);
    }

    private const string Summary = "Show one broadcast's manifest, readable or as JSON.";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var location = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url));
        using var host = Common.BuildHost(parse, parse.GetValue(_tries));
        var store = host.Services.GetRequiredService<BroadcastStore>();
        var m = await store.TryReadManifestAsync(location, ct).ConfigureAwait(false)
            ?? throw new FatalException(ExitCodes.NotFound, $"no broadcast at {location} (no {KeyLayout.ManifestName})");
        var index = await store.HasChecksumsAsync(location, ct).ConfigureAwait(false);
        var summary = BroadcastSummary.From(location, m);
        var info = new BroadcastInfo
        {
            Url = summary.Url,
            Bucket = summary.Bucket,
            Name = summary.Name,
            State = summary.State,
            Format = summary.Format,
            SizeBytes = summary.SizeBytes,
            Segments = summary.Segments,
            Started = summary.Started,
            Ended = summary.Ended,
            Updated = summary.Updated,
            StreamSha256 = summary.StreamSha256,
            AbortReason = summary.AbortReason,
            AssembledTo = summary.AssembledTo,
            AssembledSha256 = summary.AssembledSha256,
            Replicas = summary.Replicas,
            Version = m.Version.Length == 0 ? null : m.Version,
            FormatVersion = m.FormatVersion,
            Completed = m.Completed,
            SegmentSizeMb = m.SegmentSizeMb,
            SegmentSizeBytes = m.IsLegacy || m.SegmentSizeBytes == 0 ? null : m.SegmentSizeBytes,
            ChecksumAlgorithm = m.ChecksumAlgorithm,
            ChecksumsIndex = index,
            Notify = m.Notify,
            TopicArn = m.TopicArn,
        };
        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(info, OutputJsonContext.Output.BroadcastInfo, ct).ConfigureAwait(false);
        }
        else
        {
            await ArchiveCli.WriteAsync(Text(info), ct).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    private static string Text(BroadcastInfo i)
    {
        var lines = new List<(string Key, string Value)>
        {
            ("broadcast", i.Url),
            ("state", i.State + (i.State == "open" && i.Format == "s3fanout" ? " (being published, or the publisher stopped; see updated)" : "")),
            ("format", i.Format == "s3pipe2" ? $"s3pipe2 archive (version {i.Version ?? "?"})" : $"s3fanout {i.FormatVersion} (s3pipe2 layout, version {i.Version ?? "?"})"),
            ("size", $"{ArchiveCli.Bytes(i.SizeBytes)} bytes ({ArchiveCli.Size(i.SizeBytes)})"),
            ("segments", $"{ArchiveCli.Bytes(i.Segments)} of {(i.SegmentSizeBytes is { } b ? ArchiveCli.Size(b) : $"{i.SegmentSizeMb} MB")}"),
            ("started", ArchiveCli.Time(i.Started)),
            ("ended", ArchiveCli.Time(i.Ended)),
        };
        if (i.Started is { } s && i.Ended is { } e && e >= s)
        {
            lines.Add(("duration", ArchiveCli.Duration(e - s)));
        }
        if (i.Updated is not null)
        {
            lines.Add(("updated", ArchiveCli.Time(i.Updated)));
        }
        lines.Add(("stream sha256", i.StreamSha256 ?? (i.Format == "s3pipe2" ? "- (not recorded by s3pipe2)" : "- (recorded when the broadcast completes)")));
        lines.Add(("checksums", i.ChecksumAlgorithm is null
            ? "- (s3pipe2: segments are checked against their ETag where it is an MD5)"
            : $"{i.ChecksumAlgorithm} per segment; {(i.ChecksumsIndex ? "index in " + KeyLayout.ChecksumsName : "no " + KeyLayout.ChecksumsName + " index yet (object metadata)")}"));
        if (i.Notify is not null)
        {
            lines.Add(("notify", i.Notify + (i.TopicArn is null ? "" : $" ({i.TopicArn})")));
        }
        if (i.Replicas > 0)
        {
            lines.Add(("replicas", $"{i.Replicas} read replicas of every segment ({KeyLayout.ReplicaPrefix(i.Name, 1)}/ … {KeyLayout.ReplicaPrefix(i.Name, i.Replicas)}/)"));
        }
        if (i.AssembledTo is not null)
        {
            lines.Add(("assembled to", i.AssembledTo + (i.AssembledSha256 is null ? "" : $" (sha256 {i.AssembledSha256})")));
        }
        if (i.AbortReason is not null)
        {
            lines.Add(("abort reason", i.AbortReason));
        }
        var width = lines.Max(l => l.Key.Length) + 2;
        var sb = new StringBuilder();
        foreach (var (key, value) in lines)
        {
            sb.Append((key + ":").PadRight(width)).Append(value).Append('\n');
        }
        return sb.ToString();
    }
}
