using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Subscriber.Archive;

/// <summary><c>s3fanout-subscribe ls s3://bucket/prefix/</c>: the broadcasts under a prefix, as a table or JSON.</summary>
internal sealed class ListCommand : ArchiveCommand
{
    private static readonly string[] Header = ["NAME", "STATE", "SIZE", "SEGMENTS", "STARTED", "ENDED"];
    private readonly Option<int> _workers = CliOptions.Workers("manifests read at once");
    private readonly Option<int> _tries = CliOptions.Tries("attempts per listing page and per manifest read");
    private readonly Argument<string> _url = new("url") { Description = "where to look: s3://bucket/ or s3://bucket/prefix/ (a key prefix, as with aws s3 ls)" };
    private readonly Option<bool> _json = ArchiveCli.JsonOption("a JSON array of broadcasts");

    public ListCommand()
    {
        Epilog = HelpText.Describe(
            "List the broadcasts under a prefix: name, state (open, complete, aborted), size, segments, start and end time.\n"
            + "A broadcast is a key prefix holding a .manifest; its manifest is read for the rest (-n at once).",
            "s3fanout-subscribe ls s3://bucket/",
            "s3fanout-subscribe ls s3://bucket/backups/",
            "s3fanout-subscribe ls --json s3://bucket/logs/ | jq -r '.[] | select(.state == \"complete\") | .url'");
        Command = ArchiveCli.Define("ls", Summary, Common, _url, _json, _workers, _tries);
    }

    private const string Summary = "List the broadcasts under a prefix: state, size, segments, start and end (--json for scripts).";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var (bucket, prefix) = ArchiveCli.ParsePrefix(parse.GetRequiredValue(_url));
        var workers = parse.GetValue(_workers);
        using var host = Common.BuildHost(parse, parse.GetValue(_tries), workers * 2);
        var store = host.Services.GetRequiredService<BroadcastStore>();
        var names = await store.FindAsync(bucket, prefix, ct).ConfigureAwait(false);

        var found = new BroadcastSummary?[names.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, async (i, token) =>
        {
            var location = new BroadcastLocation(bucket, names[i].Name);
            try
            {
                var manifest = await store.TryReadManifestAsync(location, token).ConfigureAwait(false);
                // Null: deleted since the listing (rm running beside us); it is no longer there to show.
                found[i] = manifest is null ? null : BroadcastSummary.From(location, manifest);
            }
            catch (FatalException e) when (e.ExitCode == ExitCodes.Integrity)
            {
                found[i] = BroadcastSummary.Malformed(location, e.Message);
            }
        }).ConfigureAwait(false);
        var broadcasts = found.OfType<BroadcastSummary>().OrderBy(b => b.Name, StringComparer.Ordinal).ToList();

        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(broadcasts, OutputJsonContext.Output.ListBroadcastSummary, ct).ConfigureAwait(false);
        }
        else
        {
            await ArchiveCli.WriteAsync(Table(broadcasts), ct).ConfigureAwait(false);
        }
        var malformed = broadcasts.Where(b => b.Error is not null).ToList();
        if (malformed.Count > 0)
        {
            throw new FatalException(ExitCodes.Integrity,
                $"{malformed.Count} broadcast(s) have a malformed manifest: {string.Join(", ", malformed.Select(b => b.Url))}");
        }
        return ExitCodes.Ok;
    }

    private static string Table(List<BroadcastSummary> broadcasts)
    {
        // The REPLICAS column only when a listed broadcast has read replicas, so the usual table stays as it was.
        var replicas = broadcasts.Any(b => b.Replicas > 0);
        var rows = new List<string[]> { replicas ? [.. Header, "REPLICAS"] : Header };
        rows.AddRange(broadcasts.Select(b => new[]
        {
            b.Name,
            b.State,
            b.Error is null ? ArchiveCli.Size(b.SizeBytes) : "-",
            b.Error is null ? b.Segments.ToString(CultureInfo.InvariantCulture) : "-",
            ArchiveCli.Time(b.Started),
            ArchiveCli.Time(b.Ended),
        }.Concat(replicas ? [b.Replicas.ToString(CultureInfo.InvariantCulture)] : []).ToArray()));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                // Numbers right-aligned, text left-aligned; no trailing blanks.
                var cell = c is 2 or 3 ? row[c].PadLeft(widths[c]) : row[c];
                sb.Append(cell);
                if (c < row.Length - 1)
                {
                    sb.Append(' ', (c is 2 or 3 ? 0 : widths[c] - row[c].Length) + 2);
                }
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
