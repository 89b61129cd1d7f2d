using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The options every command takes, because every command talks to AWS and logs: <c>-a</c>, <c>-s</c>, <c>-r</c>,
/// <c>--endpoint-url</c>, <c>--request-timeout</c>, <c>-v</c> and <c>--json-logs</c>. A command adds its own, and those of
/// <see cref="CliOptions"/> it reads, beside them.
/// </summary>
internal sealed class CommonOptions
{
    public Option<string?> AccessKey { get; } = new("-a") { Description = "AWS access key (s3pipe2 compatibility; visible to other users, prefer the environment or a profile)", HelpName = "ACCESS-KEY" };
    public Option<string?> SecretKey { get; } = new("-s") { Description = "AWS secret key (s3pipe2 compatibility; visible to other users)", HelpName = "SECRET-KEY" };
    public Option<string?> Region { get; } = new("-r", "--region") { Description = "AWS region (default: AWS_REGION or the profile's)", HelpName = "REGION" };
    public Option<string?> EndpointUrl { get; } = new("--endpoint-url") { Description = "S3/SQS/SNS endpoint, e.g. LocalStack or MinIO (default: AWS_ENDPOINT_URL, else AWS)", HelpName = "URL" };
    public Option<TimeSpan> RequestTimeout { get; } = CliOptions.Duration("--request-timeout",
        "give up on one attempt of an S3, SQS or SNS call after this long and try again (segment transfers: see --transfer-timeout)",
        StepRetry.DefaultAttemptTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
    public Option<bool> Verbose { get; } = new("-v", "--verbose") { Description = "log more on stderr: progress per segment and per step" };
    public Option<bool> JsonLogs { get; } = new("--json-logs") { Description = "log as JSON lines, for log collectors (also: S3FANOUT_LOG_FORMAT=json)" };

    public CommonOptions()
    {
        EndpointUrl.Validators.Add(r =>
        {
            var v = r.GetValue(EndpointUrl);
            if (v is not null && !IsHttpUrl(v))
            {
                r.AddError($"--endpoint-url '{v}' is not an http(s) URL");
            }
        });
    }

    /// <summary>Adds the options to <paramref name="command"/> only: a subcommand adds its own set.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { AccessKey, SecretKey, Region, EndpointUrl, RequestTimeout, Verbose, JsonLogs })
        {
            command.Options.Add(option);
        }
    }

    /// <param name="tries">The command's <c>-t</c>: attempts per step and per SNS call.</param>
    /// <param name="maxConnections">Connections kept open to the endpoint (twice the segments in flight).</param>
    public AwsSettings ToAwsSettings(ParseResult parse, int tries = CliOptions.DefaultTries, int maxConnections = CliOptions.DefaultWorkers * 2)
    {
        var endpoint = parse.GetValue(EndpointUrl) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (endpoint is not null && !IsHttpUrl(endpoint))
        {
            throw new UsageException($"AWS_ENDPOINT_URL '{endpoint}' is not an http(s) URL");
        }
        return new AwsSettings
        {
            EndpointUrl = endpoint is null ? null : new Uri(endpoint),
            Region = parse.GetValue(Region),
            AccessKey = parse.GetValue(AccessKey),
            SecretKey = parse.GetValue(SecretKey),
            Tries = tries,
            MaxConnections = maxConnections,
            RequestTimeout = parse.GetValue(RequestTimeout),
        };
    }

    /// <param name="service">The long-running service: logs at Information by default, with dates.</param>
    public LogSettings ToLogSettings(ParseResult parse, bool service = false) => new()
    {
        Verbose = parse.GetValue(Verbose),
        Json = parse.GetValue(JsonLogs)
            || string.Equals(Environment.GetEnvironmentVariable("S3FANOUT_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase),
        Level = Environment.GetEnvironmentVariable("S3FANOUT_LOG_LEVEL") is { } level && Enum.TryParse<LogLevel>(level, true, out var l) ? l : null,
        Service = service,
    };

    /// <summary>The host a one-shot command runs in (see <see cref="S3FanoutHost"/>), from these options.</summary>
    public IHost BuildHost(ParseResult parse, int tries = CliOptions.DefaultTries, int maxConnections = CliOptions.DefaultWorkers * 2) =>
        S3FanoutHost.CreateBuilder(ToAwsSettings(parse, tries, maxConnections), ToLogSettings(parse)).Build();

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
