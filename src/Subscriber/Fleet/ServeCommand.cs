using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using S3Fanout.Shared;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Cli;
using S3Fanout.Shared.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// <c>s3fanout-subscribe serve</c>: the long-running mirror service, a Microsoft.Extensions.Hosting host.
/// Configuration, later sources winning: the JSON file given with --config, <c>S3FANOUT__*</c> environment variables,
/// then each <c>--set S3Fanout:Key=Value</c>.
/// </summary>
internal sealed class ServeCommand
{
    private readonly CommonOptions _common;
    private readonly Option<string?> _config = new("--config", "-c") { Description = "JSON configuration file (see deploy/subscriber.json)", HelpName = "FILE" };
    private readonly Option<string[]> _set = new("--set") { Description = "override one setting, e.g. --set S3Fanout:MaxConcurrentBroadcasts=4", HelpName = "KEY=VALUE", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _jsonLogs = new("--json-logs") { Description = "log as JSON lines (for log collectors)" };

    public ServeCommand(CommonOptions common)
    {
        _common = common;
        Command = new Command("serve", "Mirror every broadcast of the configured channels into local sinks, until stopped (SIGTERM).")
        {
            _config, _set, _jsonLogs,
        };
    }

    public Command Command { get; }

    public async Task<int> RunAsync(ParseResult parse, ILoggerFactory cliLoggers, CancellationToken ct)
    {
        var configuration = BuildConfiguration(parse);
        var options = new FleetOptions();
        try
        {
            configuration.GetSection(FleetOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"invalid configuration: {e.Message}");
        }
        var validation = new FleetOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new UsageException($"invalid configuration: {validation.Failures.First()}");
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        ConfigureLogging(builder, parse.GetValue(_jsonLogs), parse.GetValue(_common.Verbose));
        builder.Services.AddOptions<FleetOptions>().Bind(configuration.GetSection(FleetOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        var cliSettings = _common.ToAwsSettings(parse);
        var settings = cliSettings with
        {
            EndpointUrl = options.EndpointUrl is { } endpoint ? new Uri(endpoint) : cliSettings.EndpointUrl,
            Region = options.Region ?? parse.GetValue(_common.Region),
            Tries = options.Tries,
            MaxConnections = options.Workers * options.MaxConcurrentBroadcasts * 2,
        };
        using var aws = FleetAws.Open(settings, cliLoggers);
        var status = new FleetStatus();
        builder.Services.AddSingleton(aws);
        builder.Services.AddSingleton(sp => BroadcastStore.Open(aws.Connection, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(status);
        builder.Services.AddSingleton(new StateStore(options.StateDirectory));
        builder.Services.AddSingleton<IMirrorJobFactory, MirrorJobFactory>();
        builder.Services.AddSingleton<MirrorCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MirrorCoordinator>());
        builder.Services.AddHostedService<NotificationListener>();
        builder.Services.AddHostedService<HealthFileWriter>();
        if (options.OtlpEndpoint is { } otlp)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("s3fanout-subscribe", serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}"))
                .WithMetrics(metrics => metrics
                    .AddMeter(S3FanoutMetrics.MeterName)
                    .AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = new Uri(new Uri(otlp), options.OtlpProtocol == "grpc" ? "" : "v1/metrics");
                        exporter.Protocol = options.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5000;
                    }));
        }

        using var host = builder.Build();
        await host.RunAsync(ct).ConfigureAwait(false);
        if (status.Failure is { } failure)
        {
            throw failure;
        }
        // SIGTERM is how a service is stopped: broadcasts were checkpointed and the queue deleted, so this is success.
        return ExitCodes.Ok;
    }

    private IConfigurationRoot BuildConfiguration(ParseResult parse)
    {
        var config = new ConfigurationBuilder();
        if (parse.GetValue(_config) is { } file)
        {
            if (!File.Exists(file))
            {
                throw new UsageException($"--config '{file}' does not exist");
            }
            config.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
        config.AddEnvironmentVariables();
        var sets = new Dictionary<string, string?>();
        foreach (var pair in parse.GetValue(_set) ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--set '{pair}' is not KEY=VALUE");
            }
            sets[pair[..eq]] = pair[(eq + 1)..];
        }
        config.AddInMemoryCollection(sets);
        try
        {
            return config.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new UsageException($"cannot read the configuration: {AwsErrors.Describe(e)}");
        }
    }

    private static void ConfigureLogging(HostApplicationBuilder builder, bool json, bool verbose)
    {
        builder.Logging.ClearProviders();
        if (json)
        {
            builder.Logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        // stdout may carry a broadcast (stdout sink): every log line goes to stderr.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("S3Fanout.Subscriber.Writing.OrderedWriter", verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("S3Fanout.Subscriber.Fetching", verbose ? LogLevel.Information : LogLevel.Warning);
    }
}
