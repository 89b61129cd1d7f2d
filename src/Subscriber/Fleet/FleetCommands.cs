using System.CommandLine;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The mirror-fleet subcommands: <c>serve</c> and <c>cleanup-queues</c>.</summary>
internal static class FleetCommands
{
    public static void AddTo(RootCommand root, CommonOptions common, IDictionary<Command, Func<ParseResult, ILoggerFactory, CancellationToken, Task<int>>> handlers)
    {
        var serve = new ServeCommand(common);
        var cleanup = new CleanupQueuesCommand(common);
        root.Subcommands.Add(serve.Command);
        root.Subcommands.Add(cleanup.Command);
        handlers[serve.Command] = serve.RunAsync;
        handlers[cleanup.Command] = cleanup.RunAsync;
    }
}
