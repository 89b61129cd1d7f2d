using System.CommandLine;
using System.Text;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Assembly;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Reading;
using S3Fanout.Subscriber.Sinks;
using S3Fanout.Subscriber.Tracking;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// <c>s3fanout-subscribe verify s3://bucket/name</c>: downloads every segment and checks it, the total size and the
/// stream SHA-256, without writing the data anywhere. Names every bad segment; exit 0 only when all of it matches.
/// </summary>
internal sealed class VerifyCommand : ArchiveCommand
{
    private readonly Option<int> _workers = CliOptions.Workers("segments fetched at once; at most n + 1 are held");
    private readonly Option<int> _tries = CliOptions.Tries("attempts per segment (fetch then verify)");
    private readonly Option<string?> _staging = CliOptions.Staging("hold fetched segments in files under this folder instead of memory");
    private readonly Option<TimeSpan> _transferTimeout = CliOptions.TransferTimeout();
    private readonly Argument<string> _url = ArchiveCli.BroadcastArgument("to check");
    private readonly Option<bool> _json = ArchiveCli.JsonOption("the result object");
    private readonly Option<string?> _against = new("--against")
    {
        Description = "check the object at url (s3://bucket/key) against this broadcast it was assembled from",
        HelpName = "s3://BUCKET/NAME",
    };

    public VerifyCommand()
    {
        Epilog = HelpText.Describe(
            "Download a broadcast and check it without writing the data anywhere: every segment's size and CRC64/NVME\n"
            + "(against .checksums, else the object metadata; s3pipe2 archives: the ETag MD5), the total size and the\n"
            + "stream SHA-256. Every bad segment is named. -n segments are fetched at once and at most n + 1 are held\n"
            + "(in memory, or under -p). Exits 0 only when everything matches and the broadcast is complete; 7 when\n"
            + "anything is bad; 8 when it is open or aborted (its stored segments are still checked).\n"
            + "With --against, url is an object assembled from that broadcast (assemble, publish --assemble): its size and\n"
            + "S3's full-object CRC-64/NVME are compared with the broadcast's, or, where S3 reports none, the object is read\n"
            + "back and its CRC-64/NVME and SHA-256 compared. Exits 0 when it matches, 7 when not.",
            "s3fanout-subscribe verify s3://bucket/backups/etc.tar",
            "s3fanout-subscribe verify -n 16 s3://bucket/dumps/mydb && echo intact",
            "s3fanout-subscribe verify --json s3://bucket/logs/app | jq .bad_segments",
            "s3fanout-subscribe verify s3://archive/etc.tar --against s3://bucket/backups/etc.tar");
        Command = ArchiveCli.Define("verify", Summary, Common, _url, _json, _against, _workers, _tries, _staging, _transferTimeout);
    }

    private const string Summary = "Download and check every segment, the size and the stream SHA-256, writing nothing; names every bad segment.";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        if (parse.GetValue(_against) is { } against)
        {
            return await CheckAssembledAsync(parse, ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url)), ArchiveCli.ParseBroadcast(against), ct).ConfigureAwait(false);
        }
        var location = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url));
        using var host = Common.BuildHost(parse, parse.GetValue(_tries), parse.GetValue(_workers) * 2);
        var services = host.Services;
        var aws = services.GetRequiredService<AwsConnection>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var time = services.GetRequiredService<TimeProvider>();
        var store = new ManifestStore(services.GetRequiredService<BroadcastStore>(), location);
        Manifest manifest;
        ChecksumIndex? index;
        try
        {
            manifest = await store.TryReadAsync(ct).ConfigureAwait(false)
                ?? throw new FatalException(ExitCodes.NotFound, $"no broadcast at {location} (no {KeyLayout.ManifestName})");
            index = manifest.State == BroadcastState.Complete ? await store.TryOpenChecksumsAsync(ct).ConfigureAwait(false) : null;
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot read {location}");
        }

        var problems = new List<string>();
        var complete = manifest.State == BroadcastState.Complete;
        if (index is not null && index.Count != manifest.Segments)
        {
            problems.Add($"{KeyLayout.ChecksumsName} lists {index.Count} segments, the manifest {manifest.Segments}");
        }
        using var tracker = new BroadcastTracker(location, time, loggers.CreateLogger<BroadcastTracker>());
        // The primaries themselves: the read replicas, if any, are checked on their own below.
        tracker.ApplyManifest(manifest with { Replicas = 0 });
        if (index is not null)
        {
            tracker.UseChecksums(index.OpenReader());
        }
        var options = new SubscriberOptions
        {
            Location = location,
            Workers = parse.GetValue(_workers),
            Tries = parse.GetValue(_tries),
            StagingPath = parse.GetValue(_staging),
            RequestTimeout = parse.GetValue(Common.RequestTimeout),
            TransferIdleTimeout = parse.GetValue(_transferTimeout),
        };
        var reader = new BroadcastReader(aws.S3, tracker, store, options, notificationsExpected: () => false, loggers, time, FailurePolicy.RecordAndContinue);
        var totals = await reader.ReadStoredAsync(manifest.Segments, NullSink.Instance, ct).ConfigureAwait(false);

        var bad = totals.Bad.ToList();
        if (complete)
        {
            // A complete archive holds exactly segments 1..num_segments; anything after would change `cat 0*`.
            bad.AddRange(await ExtraSegmentsAsync(aws, location, manifest.Segments, ct).ConfigureAwait(false));
        }
        var (badReplicas, replicaNotes) = await new ReplicaVerifier(aws.S3, store, loggers, time).VerifyAsync(manifest, index, options, ct).ConfigureAwait(false);
        bad.AddRange(badReplicas);
        var whole = totals.Sha256 is not null;
        bool? sizeOk = whole ? totals.Bytes == manifest.Bytes : null;
        if (sizeOk == false)
        {
            problems.Add($"the segments hold {totals.Bytes} bytes, the manifest says total_size = {manifest.Bytes}");
        }
        bool? shaOk = whole && complete && manifest.StreamSha256 is not null ? totals.Sha256 == manifest.StreamSha256 : null;
        if (shaOk == false)
        {
            problems.Add($"the stream SHA-256 is {totals.Sha256}, the manifest records {manifest.StreamSha256}");
        }
        if (complete && !manifest.IsLegacy && manifest.StreamSha256 is null)
        {
            problems.Add("the manifest of this complete broadcast records no stream_sha256");
        }
        var integrity = bad.Count > 0 || problems.Count > 0;
        var result = new VerifyResult
        {
            Url = location.ToString(),
            Bucket = location.Bucket,
            Name = location.Prefix,
            State = BroadcastSummary.StateName(manifest.State),
            Format = manifest.IsLegacy ? "s3pipe2" : "s3fanout",
            Ok = complete && !integrity && totals.Failed.Count == 0,
            ChecksumSource = index is not null ? "checksums" : manifest.IsLegacy ? "etag_md5" : "metadata",
            Segments = manifest.Segments,
            SegmentsVerified = totals.Segments,
            Bytes = totals.Bytes,
            ExpectedBytes = manifest.Bytes,
            SizeOk = sizeOk,
            StreamSha256Expected = manifest.StreamSha256,
            StreamSha256Actual = totals.Sha256,
            StreamSha256Ok = shaOk,
            BadSegments = bad.OrderBy(b => b.Index).ToList(),
            FailedSegments = totals.Failed,
            Problems = problems,
            Replicas = manifest.Replicas,
            ReplicaNotes = replicaNotes,
        };

        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(result, OutputJsonContext.Output.VerifyResult, ct).ConfigureAwait(false);
        }
        else
        {
            await ArchiveCli.WriteAsync(Report(result), ct).ConfigureAwait(false);
        }

        if (integrity)
        {
            var what = new List<string>();
            if (result.BadSegments.Count > 0)
            {
                what.Add($"bad segment{(result.BadSegments.Count == 1 ? "" : "s")} {ArchiveCli.Ranges(result.BadSegments.Select(b => b.Index))}");
            }
            what.AddRange(problems);
            throw new FatalException(ExitCodes.Integrity, $"{location} failed verification: {string.Join("; ", what)}");
        }
        if (totals.Failed.Count > 0)
        {
            throw new FatalException(ExitCodes.Transfer,
                $"{location}: segment{(totals.Failed.Count == 1 ? "" : "s")} {ArchiveCli.Ranges(totals.Failed.Select(f => f.Index))} could not be fetched in {parse.GetValue(_tries)} attempts; the rest verified");
        }
        if (!complete)
        {
            throw new FatalException(ExitCodes.BroadcastFailed,
                $"{location} is {result.State}, not complete: its {totals.Segments} stored segments verified, the whole stream cannot be checked"
                + (manifest.AbortReason is null ? "" : $" (aborted: {manifest.AbortReason})"));
        }
        return ExitCodes.Ok;
    }

    private async Task<int> CheckAssembledAsync(ParseResult parse, BroadcastLocation assembled, BroadcastLocation broadcast, CancellationToken ct)
    {
        using var host = Common.BuildHost(parse, parse.GetValue(_tries), parse.GetValue(_workers) * 2);
        var run = AssemblyRun.FromServices(host.Services, parse.GetValue(_tries));
        AssemblyCheck check;
        try
        {
            check = await run.CheckAsync(broadcast, assembled.Bucket, assembled.Prefix, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot check {assembled} against {broadcast}");
        }
        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(check, OutputJsonContext.Output.AssemblyCheck, ct).ConfigureAwait(false);
        }
        else
        {
            await ArchiveCli.WriteAsync($"{(check.Ok ? "OK" : "FAILED")} {check.Object} against {check.Against}: {ArchiveCli.Bytes(check.Bytes)} of {ArchiveCli.Bytes(check.ExpectedBytes)} bytes, "
                + $"CRC-64/NVME {check.Crc ?? "-"} (expected {check.ExpectedCrc64Nvme}), verified by {check.VerifiedBy}\n", ct).ConfigureAwait(false);
        }
        return check.Ok
            ? ExitCodes.Ok
            : throw new FatalException(ExitCodes.Integrity, $"{check.Object} is not the broadcast {check.Against} ({(check.Bytes != check.ExpectedBytes
                ? $"{check.Bytes} bytes, the broadcast has {check.ExpectedBytes}"
                : $"CRC-64/NVME {check.Crc}, the broadcast's is {check.ExpectedCrc64Nvme}")})");
    }

    private static async Task<List<SegmentProblem>> ExtraSegmentsAsync(AwsConnection aws, BroadcastLocation location, long segments, CancellationToken ct)
    {
        var extra = new List<SegmentProblem>();
        var request = new ListObjectsV2Request
        {
            BucketName = location.Bucket,
            Prefix = location.Prefix + "/",
            // Everything up to the last listed segment is accounted for; only keys after it are looked at.
            StartAfter = segments > 0 ? KeyLayout.SegmentKey(location.Prefix, segments) : null,
        };
        try
        {
            do
            {
                var page = await aws.S3.ListObjectsV2Async(request, ct).ConfigureAwait(false);
                foreach (var obj in page.S3Objects ?? [])
                {
                    if (KeyLayout.TryParseSegmentIndex(location.Prefix, obj.Key, out var i) && i > segments)
                    {
                        extra.Add(new SegmentProblem(i, obj.Key, $"not part of the broadcast: the manifest lists {segments} segments"));
                    }
                }
                request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
                request.StartAfter = null;
            }
            while (request.ContinuationToken is not null);
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot list {location}/");
        }
        return extra;
    }

    private static string Report(VerifyResult r)
    {
        var sb = new StringBuilder();
        foreach (var b in r.BadSegments)
        {
            sb.Append($"BAD segment {b.Index} (s3://{r.Bucket}/{b.Key}): {b.Reason}\n");
        }
        foreach (var f in r.FailedSegments)
        {
            sb.Append($"NOT FETCHED segment {f.Index} (s3://{r.Bucket}/{f.Key}): {f.Reason}\n");
        }
        foreach (var p in r.Problems)
        {
            sb.Append($"BAD stream: {p}\n");
        }
        foreach (var note in r.ReplicaNotes)
        {
            sb.Append($"NOTE {note}\n");
        }
        var stream = r.StreamSha256Ok switch
        {
            true => "stream SHA-256 matches",
            false => "stream SHA-256 differs",
            null when r.Format == "s3pipe2" => "no stream SHA-256 recorded (s3pipe2)",
            null when r.State != "complete" => "stream SHA-256 not recorded yet (" + r.State + ")",
            _ => "stream SHA-256 not checked",
        };
        var verdict = r.Ok ? "OK" : r.BadSegments.Count > 0 || r.Problems.Count > 0 ? "FAILED" : r.FailedSegments.Count > 0 ? "INCOMPLETE CHECK" : r.State.ToUpperInvariant();
        var replicas = r.Replicas > 0 ? $", {r.Replicas} replica(s) of each checked" : "";
        sb.Append($"{verdict} {r.Url}: {r.SegmentsVerified} of {r.Segments} segments verified ({r.ChecksumSource}){replicas}, {ArchiveCli.Bytes(r.Bytes)} bytes, {stream}\n");
        return sb.ToString();
    }
}
