using System.CommandLine;
using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Cli;

/// <summary>Options both executables share, with s3pipe2's letters and meanings.</summary>
internal sealed class CommonOptions
{
    public const long MaxSegmentMiB = 5 * 1024; // S3's single PUT limit is 5 GiB.

    public Option<string?> AccessKey { get; } = new("-a") { Description = "AWS access key (s3pipe2 compatibility; visible to other users, prefer the environment or a profile)", HelpName = "ACCESS-KEY" };
    public Option<string?> SecretKey { get; } = new("-s") { Description = "AWS secret key (s3pipe2 compatibility; visible to other users)", HelpName = "SECRET-KEY" };
    public Option<string?> Region { get; } = new("-r", "--region") { Description = "AWS region (default: AWS_REGION or the profile's)", HelpName = "REGION" };
    public Option<long> SegmentMiB { get; } = new("-m", "--segment-size") { Description = "segment size in MiB, 1-5120 (publisher)", DefaultValueFactory = _ => 8, HelpName = "MIB" };
    public Option<int> BufferKb { get; } = new("-b", "--buffer-size") { Description = "read/write buffer in KB, 4-65536", DefaultValueFactory = _ => 1024, HelpName = "KB" };
    public Option<string?> Staging { get; } = new("-p", "--staging-path") { Description = "stage segments in files under this folder instead of memory", HelpName = "DIR" };
    public Option<int> Workers { get; } = new("-n", "--workers") { Description = "segments transferred at once, 1-64", DefaultValueFactory = _ => 4, HelpName = "N" };
    public Option<int> Tries { get; } = new("-t", "--tries") { Description = "attempts per segment step and AWS call, 1-100", DefaultValueFactory = _ => 5, HelpName = "N" };
    public Option<bool> Verbose { get; } = new("-v", "--verbose") { Description = "print per-segment progress to stderr" };
    public Option<bool> Progress { get; } = new("--progress") { Description = "show live progress on stderr (default when stderr is a terminal; otherwise a line every 5 s)" };
    public Option<TimeSpan> RequestTimeout { get; } = new("--request-timeout") { Description = "give up on one attempt of an S3, SQS or SNS call after this long and try again (segment transfers: see --transfer-timeout)", DefaultValueFactory = _ => TimeSpan.FromSeconds(30), CustomParser = Durations.Parse, HelpName = "DURATION" };
    public Option<TimeSpan> TransferTimeout { get; } = new("--transfer-timeout") { Description = "abandon and retry a segment upload or download that moves no byte for this long", DefaultValueFactory = _ => TimeSpan.FromSeconds(30), CustomParser = Durations.Parse, HelpName = "DURATION" };
    public Option<string?> EndpointUrl { get; } = new("--endpoint-url") { Description = "S3/SQS/SNS endpoint, e.g. LocalStack or MinIO (default: AWS_ENDPOINT_URL, else AWS)", HelpName = "URL" };

    public CommonOptions()
    {
        SegmentMiB.Validators.Add(r => Range(r, r.GetValue(SegmentMiB), 1, MaxSegmentMiB, "-m (segment size in MiB; S3 stores at most 5 GiB in one PUT)"));
        BufferKb.Validators.Add(r => Range(r, r.GetValue(BufferKb), 4, 65536, "-b (buffer size in KB)"));
        Workers.Validators.Add(r => Range(r, r.GetValue(Workers), 1, 64, "-n (workers)"));
        Tries.Validators.Add(r => Range(r, r.GetValue(Tries), 1, 100, "-t (tries)"));
        RequestTimeout.Validators.Add(r => TimeRange(r, r.GetValue(RequestTimeout), "--request-timeout"));
        TransferTimeout.Validators.Add(r => TimeRange(r, r.GetValue(TransferTimeout), "--transfer-timeout"));
        EndpointUrl.Validators.Add(r =>
        {
            var v = r.GetValue(EndpointUrl);
            if (v is not null && !IsHttpUrl(v))
            {
                r.AddError($"--endpoint-url '{v}' is not an http(s) URL");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { AccessKey, SecretKey, Region, SegmentMiB, BufferKb, Staging, Workers, Tries, Verbose, Progress, EndpointUrl, RequestTimeout, TransferTimeout })
        {
            // Recursive, so subcommands (serve, ls, verify, …) take the same AWS and transfer options.
            option.Recursive = true;
            command.Options.Add(option);
        }
    }

    public AwsSettings ToAwsSettings(ParseResult parse)
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
            Tries = parse.GetValue(Tries),
            MaxConnections = parse.GetValue(Workers) * 2,
            RequestTimeout = parse.GetValue(RequestTimeout),
        };
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static void TimeRange(System.CommandLine.Parsing.OptionResult r, TimeSpan value, string what)
    {
        if (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromHours(1))
        {
            r.AddError($"{what} must be 100ms-1h, got {value}");
        }
    }

    private static void Range(System.CommandLine.Parsing.OptionResult r, long value, long min, long max, string what)
    {
        if (value < min || value > max)
        {
            r.AddError($"{what} must be {min}-{max}, got {value}");
        }
    }
}
