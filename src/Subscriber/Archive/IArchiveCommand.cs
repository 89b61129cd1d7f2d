using System.CommandLine;

namespace S3Fanout.Subscriber.Archive;

/// <summary>A subcommand of <c>s3fanout-subscribe</c> that works on stored broadcasts (ls, info, verify, rm).</summary>
internal interface IArchiveCommand
{
    Command Command { get; }

    /// <summary>Printed after the command's own --help: what it does in detail, examples and the exit codes.</summary>
    string Epilog { get; }

    Task<int> RunAsync(ParseResult parse, CancellationToken ct);
}
