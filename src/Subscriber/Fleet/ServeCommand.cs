using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using S3Fanout.Shared;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;
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
    private readonly CommonOptions _common = new();
    private readonly Option<string?> _config = new("--config", "-c") { Description = "JSON configuration file (see deploy/subscriber.json)", HelpName = "FILE" };
    private readonly Option<string[]> _set = new("--set") { Description = "override one setting, e.g. --set S3Fanout:MaxConcurrentBroadcasts=4", HelpName = "KEY=VALUE", AllowMultipleArgumentsPerToken = false };
    // Per-broadcast settings of the service live in its configuration; a command-line value would be ignored.
    private readonly Option<string> _workers = CliOptions.Refused("-n", "--workers",
        $"serve takes its segments fetched at once per broadcast from the setting {FleetOptions.Section}:Workers (--set {FleetOptions.Section}:Workers=N)");
    private readonly Option<string> _tries = CliOptions.Refused("-t", "--tries",
        $"serve takes its attempts per segment from the setting {FleetOptions.Section}:Tries (--set {FleetOptions.Section}:Tries=N)");

    public ServeCommand()
    {
        Command = new Command("serve", "Mirror every broadcast of the configured channels into local sinks, until stopped (SIGTERM).")
        {
            _config, _set, _workers, _tries,
        };
        _common.AddTo(Command);
    }

    public Command Command { get; }

    public async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
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
        // Checked once, before the host is built: a bad setting is one line and exit 2, and nothing has started.
        var validation = new FleetOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new UsageException($"invalid configuration: {validation.Failures.First()}");
        }

        var cli = _common.ToAwsSettings(parse, options.Tries, options.Workers * options.MaxConcurrentBroadcasts * 2);
        var settings = cli with
        {
            EndpointUrl = options.EndpointUrl is { } endpoint ? new Uri(endpoint) : cli.EndpointUrl,
            Region = options.Region ?? cli.Region,
            // S3Fanout:RequestTimeout, unless --request-timeout was given on the command line.
            RequestTimeout = parse.GetResult(_common.RequestTimeout) is { Implicit: false } ? cli.RequestTimeout : options.RequestTimeout,
        };
        var builder = S3FanoutHost.CreateBuilder(settings, _common.ToLogSettings(parse, service: true));
        builder.Configuration.AddConfiguration(configuration);
        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        services.AddSingleton(s => new FleetAws(s.GetRequiredService<AwsConnection>(), s.GetRequiredService<SnsClient>()));
        services.AddSingleton<FleetStatus>();
        // Taken now, before any queue exists: a second service on the same state directory stops here with one line.
        using var states = new StateStore(options.StateDirectory);
        services.AddSingleton(states);
        services.AddSingleton<IMirrorJobFactory, MirrorJobFactory>();
        services.AddSingleton<MirrorCoordinator>();
        services.AddHostedService(s => s.GetRequiredService<MirrorCoordinator>());
        services.AddHostedService<NotificationListener>();
        services.AddHostedService<HealthFileWriter>();
        if (options.OtlpEndpoint is { } otlp)
        {
            services.AddOpenTelemetry()
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
        var status = host.Services.GetRequiredService<FleetStatus>();
        // RunAsync disposes the host (and with it the clients) once the hosted services have stopped.
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
}
