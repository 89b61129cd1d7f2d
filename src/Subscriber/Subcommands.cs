using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Cli;
using S3Fanout.Subscriber.Archive;

namespace S3Fanout.Subscriber;

/// <summary>The subscriber's subcommands besides following one broadcast; each area adds its own here.</summary>
internal static class Subcommands
{
    public static void AddTo(RootCommand root, CommonOptions common, IDictionary<Command, Func<ParseResult, ILoggerFactory, CancellationToken, Task<int>>> handlers)
    {
        // Archive commands: stored broadcasts, listed, described, checked and deleted.
        var epilogs = new Dictionary<Command, string>();
        foreach (var command in new IArchiveCommand[] { new ListCommand(common), new InfoCommand(common), new VerifyCommand(common), new RemoveCommand(common) })
        {
            root.Subcommands.Add(command.Command);
            handlers[command.Command] = command.RunAsync;
            epilogs[command.Command] = command.Epilog;
        }

        // The mirror fleet: the long-running service and its queue janitor.
        Fleet.FleetCommands.AddTo(root, common, handlers);
        // The root's list of commands shows each one's one-line description; `COMMAND --help` adds the details,
        // examples and exit codes after the usual sections.
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction standard } help)
        {
            help.Action = new EpilogHelpAction(standard, epilogs);
        }
    }

    private sealed class EpilogHelpAction(HelpAction standard, Dictionary<Command, string> epilogs) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = standard.Invoke(parseResult);
            if (epilogs.TryGetValue(parseResult.CommandResult.Command, out var epilog))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(epilog);
                output.WriteLine();
            }
            return code;
        }
    }
}
