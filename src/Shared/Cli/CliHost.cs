using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// Runs a command the way both executables must behave: parse errors and failures become one line on stderr with a
/// documented exit code (never a stack trace), SIGINT/SIGTERM cancel the work so it can clean up, and logs go to stderr only.
/// </summary>
internal static class CliHost
{
    public static async Task<int> RunAsync(RootCommand root, string[] args, Func<ParseResult, ILoggerFactory, CancellationToken, Task<int>> action, Option<bool> verbose)
    {
        var name = root.Name;
        var parse = root.Parse(args);
        if (parse.Tokens.Any(t => t.Type == System.CommandLine.Parsing.TokenType.Directive))
        {
            // [suggest:N] drives shell completion (see the README); [diagram] shows how a command line parses.
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
        }
        if (parse.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{name}: {FirstError(parse)} (see {name} --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        if (IsHelpOrVersion(parse))
        {
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
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

        using var loggers = CreateLoggers(parse.GetValue(verbose));
        try
        {
            return await action(parse, loggers, cts.Token).ConfigureAwait(false);
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
    /// name the unknown option instead.
    /// </summary>
    private static string FirstError(ParseResult parse)
    {
        var bogus = parse.Tokens.FirstOrDefault(t => t.Type == System.CommandLine.Parsing.TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && !char.IsDigit(t.Value[1]));
        return bogus is not null ? $"unknown option '{bogus.Value}'" : parse.Errors[0].Message;
    }

    private static bool IsHelpOrVersion(ParseResult parse) =>
        parse.Tokens.Any(t => t.Value is "--help" or "-h" or "-?" or "--version");

    /// <summary>
    /// Logs go to stderr, always: stdout may carry the data stream. S3FANOUT_LOG_FORMAT=json writes JSON lines for
    /// log collectors; S3FANOUT_LOG_LEVEL overrides the level (-v means Information, else Warning).
    /// </summary>
    public static ILoggerFactory CreateLoggers(bool verbose) => LoggerFactory.Create(b =>
    {
        if (string.Equals(Environment.GetEnvironmentVariable("S3FANOUT_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase))
        {
            b.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
        b.AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Error)
            .SetMinimumLevel(Environment.GetEnvironmentVariable("S3FANOUT_LOG_LEVEL") is { } level && Enum.TryParse<LogLevel>(level, true, out var l)
                ? l
                : verbose ? LogLevel.Information : LogLevel.Warning)
            .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
