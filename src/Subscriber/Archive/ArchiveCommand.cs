using System.CommandLine;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Archive;

/// <summary>A subcommand of <c>s3fanout-subscribe</c> that works on stored broadcasts (ls, info, verify, rm).</summary>
internal abstract class ArchiveCommand
{
    /// <summary>The AWS options every archive command takes.</summary>
    protected CommonOptions Common { get; } = new();

    public Command Command { get; protected init; } = null!;

    /// <summary>Printed after the command's own --help: what it does in detail, examples and the exit codes.</summary>
    public string Epilog { get; protected init; } = "";

    public abstract Task<int> RunAsync(ParseResult parse, CancellationToken ct);
}
