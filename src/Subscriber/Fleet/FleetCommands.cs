using System.CommandLine;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The mirror-fleet subcommands: <c>serve</c> and <c>cleanup-queues</c>.</summary>
internal static class FleetCommands
{
    public static void AddTo(RootCommand root)
    {
        var serve = new ServeCommand();
        var cleanup = new CleanupQueuesCommand();
        serve.Command.SetAction(serve.RunAsync);
        cleanup.Command.SetAction(cleanup.RunAsync);
        root.Subcommands.Add(serve.Command);
        root.Subcommands.Add(cleanup.Command);
    }
}
