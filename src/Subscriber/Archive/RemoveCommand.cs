using System.CommandLine;
using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// <c>s3fanout-subscribe rm s3://bucket/name</c>: deletes the broadcast's segments, then <c>.checksums</c>, then
/// <c>.manifest</c> (so an interrupted rm leaves a broadcast that ls still shows and rm can finish), after a
/// confirmation on the terminal or <c>--yes</c>. Only keys under <c>name/</c> that belong to the layout are touched.
/// </summary>
internal sealed class RemoveCommand : IArchiveCommand
{
    private const int BatchSize = 1000; // DeleteObjects takes at most 1000 keys
    private readonly CommonOptions _common;
    private readonly Argument<string> _url = ArchiveCli.BroadcastArgument("to delete");
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "delete without asking (needed when stdin is not a terminal)" };
    private readonly Option<bool> _json = ArchiveCli.JsonOption("a summary of what was deleted");

    public RemoveCommand(CommonOptions common)
    {
        _common = common;
        Command = new Command("rm", Summary);
        Epilog = HelpText.Describe(
            "Delete a broadcast: its segments, .checksums and .manifest (only those keys under NAME/; other objects\n"
            + "there are left and listed). Asks on the terminal first; without a terminal it refuses (exit 2) unless\n"
            + "--yes is given. A broadcast still being published is deleted too: stop its publisher first.",
            "s3fanout-subscribe rm s3://bucket/backups/etc.tar",
            "s3fanout-subscribe rm --yes s3://bucket/logs/app",
            "s3fanout-subscribe ls --json s3://bucket/tmp/ | jq -r '.[].url' | xargs -n1 s3fanout-subscribe rm --yes");
        Command.Arguments.Add(_url);
        Command.Options.Add(_yes);
        Command.Options.Add(_json);
    }

    public Command Command { get; }

    public string Epilog { get; }

    private const string Summary = "Delete a broadcast's segments, .checksums and .manifest, after a confirmation or --yes.";

    public async Task<int> RunAsync(ParseResult parse, ILoggerFactory loggers, CancellationToken ct)
    {
        var location = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url));
        var yes = parse.GetValue(_yes);
        // Refuse before any AWS call: nothing to confirm with, and nobody said --yes.
        if (!yes && Console.IsInputRedirected)
        {
            throw new UsageException($"refusing to delete {location} without confirmation: stdin is not a terminal; give --yes to delete without asking");
        }
        var logger = loggers.CreateLogger("s3fanout-subscribe rm");
        using var aws = ArchiveCli.Connect(_common, parse);
        var retry = new StepRetry(parse.GetValue(_common.Tries), logger);

        string state;
        try
        {
            state = await new ManifestStore(aws.S3, location).TryReadAsync(ct).ConfigureAwait(false) is { } m ? BroadcastSummary.StateName(m.State) : "none";
        }
        catch (FatalException e) when (e.ExitCode == ExitCodes.Integrity)
        {
            state = "malformed"; // still deletable: that is often why one deletes it
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot read {location}");
        }

        var (segments, checksums, manifest, others) = await ListAsync(aws.S3, location, ct).ConfigureAwait(false);
        var doomed = segments.Concat(checksums).Concat(manifest).ToList();
        if (doomed.Count == 0)
        {
            throw new FatalException(ExitCodes.NotFound, $"no broadcast at {location} (no {KeyLayout.ManifestName} and no segments)");
        }
        var bytes = doomed.Sum(o => o.Size ?? 0);
        if (!yes && !await ConfirmAsync($"Delete {location} ({state}, {segments.Count} segments, {ArchiveCli.Size(bytes)}, {doomed.Count} objects)? [y/N] ", ct).ConfigureAwait(false))
        {
            throw new UsageException($"not confirmed; nothing deleted at {location}");
        }

        // Segments first and the manifest last: an interrupted rm leaves a broadcast ls still shows.
        foreach (var group in new[] { segments, checksums, manifest })
        {
            for (var i = 0; i < group.Count; i += BatchSize)
            {
                var batch = group.Skip(i).Take(BatchSize).Select(o => o.Key).ToList();
                await retry.ExecuteAsync(token => DeleteAsync(aws.S3, location, batch, token), ct).ConfigureAwait(false);
                logger.LogInformation("Deleted {Count} objects of {Broadcast}", batch.Count, location);
            }
        }

        var result = new RemoveResult
        {
            Url = location.ToString(),
            State = state,
            DeletedObjects = doomed.Count,
            DeletedBytes = bytes,
            DeletedSegments = segments.Count,
            LeftObjects = others.Select(o => o.Key).ToList(),
        };
        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(result, ct).ConfigureAwait(false);
        }
        else
        {
            var left = others.Count == 0 ? "" : $"; left {others.Count} other object(s) under {location}/, e.g. {others[0].Key}";
            await ArchiveCli.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"deleted {location}: {doomed.Count} objects, {segments.Count} segments, {ArchiveCli.Size(bytes)}{left}\n"), ct).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    private static async Task<(List<S3Object> Segments, List<S3Object> Checksums, List<S3Object> Manifest, List<S3Object> Others)> ListAsync(
        IAmazonS3 s3, BroadcastLocation location, CancellationToken ct)
    {
        List<S3Object> segments = [], checksums = [], manifest = [], others = [];
        var request = new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix + "/" };
        try
        {
            do
            {
                var page = await s3.ListObjectsV2Async(request, ct).ConfigureAwait(false);
                foreach (var obj in page.S3Objects ?? [])
                {
                    var list = KeyLayout.TryParseSegmentIndex(location.Prefix, obj.Key, out _) ? segments
                        : obj.Key == KeyLayout.ManifestKey(location.Prefix) ? manifest
                        : obj.Key == KeyLayout.ChecksumsKey(location.Prefix) ? checksums
                        : others;
                    list.Add(obj);
                }
                request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
            }
            while (request.ContinuationToken is not null);
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot list {location}/");
        }
        return (segments, checksums, manifest, others);
    }

    private static async ValueTask DeleteAsync(IAmazonS3 s3, BroadcastLocation location, List<string> keys, CancellationToken ct)
    {
        var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = location.Bucket,
            Objects = keys.Select(k => new KeyVersion { Key = k }).ToList(),
            Quiet = true,
        }, ct).ConfigureAwait(false);
        if (response.DeleteErrors is { Count: > 0 } errors)
        {
            var e = errors[0];
            var code = e.Code is "AccessDenied" ? ExitCodes.Access : ExitCodes.Transfer;
            throw new FatalException(code, $"cannot delete s3://{location.Bucket}/{e.Key}: {e.Code} {e.Message}" + (errors.Count > 1 ? $" (and {errors.Count - 1} more)" : ""));
        }
    }

    /// <summary>Asks on stderr, reads the answer from the terminal on stdin; Ctrl-C cancels the wait.</summary>
    private static async Task<bool> ConfirmAsync(string question, CancellationToken ct)
    {
        await Console.Error.WriteAsync(question).ConfigureAwait(false);
        await Console.Error.FlushAsync(ct).ConfigureAwait(false);
        var answer = await Task.Run(Console.ReadLine, CancellationToken.None).WaitAsync(ct).ConfigureAwait(false);
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }
}
