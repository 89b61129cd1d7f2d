using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// <c>s3fanout-subscribe rm s3://bucket/name</c>: deletes the broadcast's segments, then <c>.checksums</c>, then
/// <c>.manifest</c> (so an interrupted rm leaves a broadcast that ls still shows and rm can finish), after a
/// confirmation on the terminal or <c>--yes</c>. Only keys under <c>name/</c> that belong to the layout are touched.
/// </summary>
internal sealed class RemoveCommand : ArchiveCommand
{
    private readonly Option<int> _tries = CliOptions.Tries("attempts per read, listing page and batch delete");
    private readonly Argument<string> _url = ArchiveCli.BroadcastArgument("to delete");
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "delete without asking (needed when stdin is not a terminal)" };
    private readonly Option<bool> _json = ArchiveCli.JsonOption("a summary of what was deleted");

    public RemoveCommand()
    {
        Epilog = HelpText.Describe(
            "Delete a broadcast: its segments, .checksums and .manifest (only those keys under NAME/; other objects\n"
            + "there are left and listed). Asks on the terminal first; without a terminal it refuses (exit 2) unless\n"
            + "--yes is given. A broadcast still being published is deleted too: stop its publisher first.",
            "s3fanout-subscribe rm s3://bucket/backups/etc.tar",
            "s3fanout-subscribe rm --yes s3://bucket/logs/app",
            "s3fanout-subscribe ls --json s3://bucket/tmp/ | jq -r '.[].url' | xargs -n1 s3fanout-subscribe rm --yes");
        Command = ArchiveCli.Define("rm", Summary, Common, _url, _yes, _json, _tries);
    }

    private const string Summary = "Delete a broadcast's segments, .checksums and .manifest, after a confirmation or --yes.";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var location = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url));
        var yes = parse.GetValue(_yes);
        // Refuse before any AWS call: nothing to confirm with, and nobody said --yes.
        if (!yes && Console.IsInputRedirected)
        {
            throw new UsageException($"refusing to delete {location} without confirmation: stdin is not a terminal; give --yes to delete without asking");
        }
        using var host = Common.BuildHost(parse, parse.GetValue(_tries));
        var store = host.Services.GetRequiredService<BroadcastStore>();

        string state;
        try
        {
            state = await store.TryReadManifestAsync(location, ct).ConfigureAwait(false) is { } m ? BroadcastSummary.StateName(m.State) : "none";
        }
        catch (FatalException e) when (e.ExitCode == ExitCodes.Integrity)
        {
            state = "malformed"; // still deletable: that is often why one deletes it
        }

        var keys = await store.ListKeysAsync(location, withOthers: true, ct).ConfigureAwait(false);
        if (!keys.Exists)
        {
            throw new FatalException(ExitCodes.NotFound, $"no broadcast at {location} (no {KeyLayout.ManifestName} and no segments)");
        }
        var bytes = keys.OwnBytes;
        if (!yes && !await ConfirmAsync($"Delete {location} ({state}, {keys.Segments.Count} segments, {ArchiveCli.Size(bytes)}, {keys.Own.Count} objects)? [y/N] ", ct).ConfigureAwait(false))
        {
            throw new UsageException($"not confirmed; nothing deleted at {location}");
        }
        await store.DeleteAsync(keys, ct).ConfigureAwait(false);

        var result = new RemoveResult
        {
            Url = location.ToString(),
            State = state,
            DeletedObjects = keys.Own.Count,
            DeletedBytes = bytes,
            DeletedSegments = keys.Segments.Count,
            LeftObjects = keys.Others.Select(o => o.Key).ToList(),
        };
        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(result, OutputJsonContext.Output.RemoveResult, ct).ConfigureAwait(false);
        }
        else
        {
            var left = keys.Others.Count == 0 ? "" : $"; left {keys.Others.Count} other object(s) under {location}/, e.g. {keys.Others[0].Key}";
            await ArchiveCli.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"deleted {location}: {keys.Own.Count} objects, {keys.Segments.Count} segments, {ArchiveCli.Size(bytes)}{left}\n"), ct).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
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
