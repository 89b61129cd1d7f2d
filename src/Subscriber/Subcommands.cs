using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using S3Fanout.Subscriber.Archive;

namespace S3Fanout.Subscriber;

/// <summary>
/// The subscriber's subcommands besides following one broadcast; each area adds its own here. Each subcommand takes
/// only the options it reads, and runs as its own action.
/// </summary>
internal static class Subcommands
{
    /// <param name="rootUrl">The root's own argument (the broadcast to follow), which no subcommand takes.</param>
    public static void AddTo(RootCommand root, Argument<string> rootUrl)
    {
        // Archive commands: stored broadcasts, listed, described, checked and deleted.
        var epilogs = new Dictionary<Command, string>();
        foreach (var command in new ArchiveCommand[] { new ListCommand(), new InfoCommand(), new VerifyCommand(), new RemoveCommand(), new AssembleCommand(), new Relay.RelayCommand() })
        {
            command.Command.SetAction(command.RunAsync);
            root.Subcommands.Add(command.Command);
            epilogs[command.Command] = command.Epilog;
        }

        // Capacity and cost of a fan-out, before it is built.
        var plan = new Planning.PlanCommand();
        plan.Command.SetAction(plan.RunAsync);
        root.Subcommands.Add(plan.Command);
        epilogs[plan.Command] = Planning.PlanCommand.Epilog;

        // The mirror fleet: the long-running service and its queue janitor.
        Fleet.FleetCommands.AddTo(root);
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction standard } help)
        {
            help.Action = new SubcommandHelpAction(standard, root, rootUrl, epilogs);
        }
    }

    /// <summary>
    /// System.CommandLine writes a parent's arguments into every subcommand's usage (<c>s3fanout-subscribe &lt;url&gt;
    /// verify &lt;url&gt;</c>), but the root's URL belongs to the root alone: it is hidden from a subcommand's help.
    /// The root's list of commands shows each one's one-line description; <c>COMMAND --help</c> adds the details,
    /// examples and exit codes after the usual sections.
    /// </summary>
    private sealed class SubcommandHelpAction(HelpAction standard, RootCommand root, Argument<string> rootUrl, Dictionary<Command, string> epilogs)
        : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            rootUrl.Hidden = parseResult.CommandResult.Command != root;
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
