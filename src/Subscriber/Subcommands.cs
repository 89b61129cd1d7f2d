using System.CommandLine;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber;

/// <summary>The subscriber's subcommands besides following one broadcast; each area adds its own here.</summary>
internal static class Subcommands
{
    public static void AddTo(RootCommand root, CommonOptions common, IDictionary<Command, Func<ParseResult, ILoggerFactory, CancellationToken, Task<int>>> handlers)
    {
        _ = root;
        _ = common;
        _ = handlers;
    }
}
