using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace S3Fanout.Shared.Cli;

/// <summary>How a command logs; see <see cref="LogSetup"/>.</summary>
internal sealed record LogSettings
{
    public bool Verbose { get; init; }
    /// <summary>JSON lines (<c>--json-logs</c> or <c>S3FANOUT_LOG_FORMAT=json</c>) instead of one plain line per entry.</summary>
    public bool Json { get; init; }
    /// <summary><c>S3FANOUT_LOG_LEVEL</c>: the minimum level, overriding the defaults below.</summary>
    public LogLevel? Level { get; init; }
    /// <summary>The long-running service (<c>serve</c>) rather than a one-shot command.</summary>
    public bool Service { get; init; }
}

/// <summary>
/// The one logging configuration of every command, applied by <see cref="S3FanoutHost"/>, so every logger in the
/// process (the SNS client's included) writes the same way. Logs go to stderr, always: stdout may carry the data
/// stream. A one-shot command logs warnings and errors (<c>-v</c>: also Information); the service logs Information
/// (<c>-v</c>: also Debug, and the per-segment lines of the fetch and write stages).
/// </summary>
internal static class LogSetup
{
    private const string Fetching = "S3Fanout.Subscriber.Fetching";
    private const string Writing = "S3Fanout.Subscriber.Writing.OrderedWriter";

    public static void Configure(ILoggingBuilder logging, LogSettings settings)
    {
        logging.ClearProviders();
        if (settings.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                // A service runs for days, so its lines carry the date.
                o.TimestampFormat = settings.Service ? "yyyy-MM-ddTHH:mm:ss.fffZ " : "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Polly", LogLevel.Error);
        if (settings.Level is { } level)
        {
            logging.SetMinimumLevel(level);
            return;
        }
        if (settings.Service)
        {
            // Many broadcasts at once: per-segment lines only when asked for.
            var stages = settings.Verbose ? LogLevel.Information : LogLevel.Warning;
            logging.SetMinimumLevel(settings.Verbose ? LogLevel.Debug : LogLevel.Information)
                .AddFilter(Fetching, stages)
                .AddFilter(Writing, stages);
        }
        else
        {
            logging.SetMinimumLevel(settings.Verbose ? LogLevel.Information : LogLevel.Warning);
        }
    }
}
