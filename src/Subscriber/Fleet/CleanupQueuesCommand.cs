using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.Shared.Cli;
using S3Fanout.Subscriber.Notifications;

namespace S3Fanout.Subscriber.Fleet;

/// <summary><c>s3fanout-subscribe cleanup-queues s3://bucket</c>: deletes the queues that killed subscribers left behind.</summary>
internal sealed class CleanupQueuesCommand
{
    private readonly CommonOptions _common = new();
    private readonly Argument<string> _bucket = new("bucket") { Description = "the channel's bucket: s3://bucket" };
    private readonly Option<TimeSpan> _olderThan = new("--older-than")
    {
        Description = $"delete queues whose owner has not marked them alive for this long (owners refresh every {QueueTags.AliveInterval.TotalMinutes:0} min)",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
        CustomParser = Durations.Parse,
        HelpName = "DURATION",
    };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "only list what would be deleted" };
    private readonly Option<bool> _json = new("--json") { Description = "print the result as JSON on stdout, for scripts" };

    public CleanupQueuesCommand()
    {
        _olderThan.Validators.Add(r =>
        {
            if (r.GetValue(_olderThan) < QueueTags.AliveInterval * 2)
            {
                r.AddError($"--older-than must be at least {QueueTags.AliveInterval * 2} so live subscribers are never removed");
            }
        });
        Command = new Command("cleanup-queues", "Delete subscriber queues of a bucket whose owner is gone (killed subscribers leave theirs behind).")
        {
            _bucket, _olderThan, _dryRun, _json,
        };
        _common.AddTo(Command);
    }

    public Command Command { get; }

    public async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var text = parse.GetRequiredValue(_bucket);
        var bucket = text.StartsWith("s3://", StringComparison.Ordinal) ? text["s3://".Length..].TrimEnd('/') : text;
        if (!Shared.Protocol.BroadcastLocation.TryParse($"s3://{bucket}/x", out _, out var error) || bucket.Contains('/', StringComparison.Ordinal))
        {
            throw new UsageException(bucket.Contains('/', StringComparison.Ordinal) ? $"'{text}' names a prefix; give the bucket only: s3://bucket" : error);
        }
        using var host = _common.BuildHost(parse);
        var aws = host.Services.GetRequiredService<AwsConnection>();
        IReadOnlyList<OrphanQueue> swept;
        try
        {
            swept = await new QueueJanitor(aws.Sqs, host.Services.GetRequiredService<ISnsClient>()).SweepAsync(bucket, parse.GetValue(_olderThan), parse.GetValue(_dryRun), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not FatalException)
        {
            throw AwsErrors.ToFatal(e, "cleanup-queues");
        }
        if (parse.GetValue(_json))
        {
            Console.Out.WriteLine(JsonOutput.Serialize(swept, OutputJsonContext.Output.IReadOnlyListOrphanQueue));
            return ExitCodes.Ok;
        }
        foreach (var q in swept)
        {
            Console.Out.WriteLine($"{(q.Deleted ? "deleted" : "would delete")} {q.QueueUrl} and its {q.Unsubscribed} subscription(s) (last alive {q.LastAlive:u}, host {q.Host ?? "?"}, pid {q.Pid ?? "?"})");
        }
        Console.Out.WriteLine($"{swept.Count} orphaned queue(s) {(parse.GetValue(_dryRun) ? "found" : "deleted")}");
        return ExitCodes.Ok;
    }
}
