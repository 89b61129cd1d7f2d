using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// Runs a command line the way both executables must behave: parse errors and failures become one line on stderr
/// with a documented exit code (never a stack trace), and SIGINT/SIGTERM cancel the work so it can clean up. The
/// matched command's own action does the work, in a host it builds with <see cref="S3FanoutHost"/>.
/// </summary>
internal static class CliHost
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var name = root.Name;
        var parse = root.Parse(args);
        if (parse.Tokens.Any(t => t.Type == TokenType.Directive))
        {
            // [suggest:N] drives shell completion (see the README); [diagram] shows how a command line parses.
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
        }
        if (parse.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{name}: {FirstError(parse)} (see {CommandPath(parse)} --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        if (RootOptionBeforeSubcommand(parse) is { } misplaced)
        {
            // The root's own options parse before a subcommand, but the subcommand would never read them.
            await Console.Error.WriteLineAsync($"{name}: '{misplaced}' goes after '{parse.CommandResult.Command.Name}' (see {CommandPath(parse)} --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var cts = new CancellationTokenSource();
        var signal = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            signal = context.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        try
        {
            // Our own signal handling and error lines, not System.CommandLine's.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parse.InvokeAsync(invocation, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"{name}: interrupted").ConfigureAwait(false);
            return signal;
        }
        catch (FatalException e)
        {
            await Console.Error.WriteLineAsync($"{name}: {e.Message}").ConfigureAwait(false);
            return signal != 0 ? signal : e.ExitCode;
        }
        catch (Exception e)
        {
            var fatal = AwsErrors.ToFatal(e, "error");
            var code = fatal.ExitCode == ExitCodes.Transfer && e is not Amazon.Runtime.AmazonServiceException ? ExitCodes.Internal : fatal.ExitCode;
            await Console.Error.WriteLineAsync($"{name}: {(code == ExitCodes.Internal ? $"internal error: {e.GetType().Name}: {AwsErrors.Describe(e)}" : fatal.Message)}").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable("S3FANOUT_DEBUG") == "1")
            {
                await Console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }
            return signal != 0 ? signal : code;
        }
    }

    /// <summary>
    /// An unknown option before the URL is taken as the URL's value, which makes the parser complain about the real URL;
    /// name the unknown option instead. System.CommandLine's own messages may span lines; ours is one.
    /// </summary>
    private static string? RootOptionBeforeSubcommand(ParseResult parse) =>
        parse.CommandResult == parse.RootCommandResult
            ? null
            : parse.RootCommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>()
                .FirstOrDefault(o => !o.Implicit && o.IdentifierToken is not null)?.IdentifierToken!.Value;

    private static string FirstError(ParseResult parse)
    {
        var bogus = parse.Tokens.FirstOrDefault(t => t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && !char.IsDigit(t.Value[1]));
        return bogus is not null ? $"unknown option '{bogus.Value}'" : AwsConnection.OneLine(parse.Errors[0].Message);
    }

    /// <summary>"s3fanout-subscribe serve": where to look for help on the command that failed to parse.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
        {
            if (r is CommandResult command)
            {
                names.Add(command.Command.Name);
            }
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
