using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Planning;

/// <summary>
/// <c>s3fanout-subscribe plan --rate 100MB/s --subscribers 10000 [-m 8] [--replicas K] [--relays R] [--notify-window 250ms]</c>:
/// the requests a second per component against AWS's quotas, the time to join and the dollars an hour, for a fan-out
/// before it is built. Pure arithmetic (<see cref="CapacityPlan"/>): no AWS call, no credentials.
/// </summary>
internal sealed class PlanCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly Option<double> _rate = new("--rate")
    {
        Description = "bytes a second the publisher takes in: 100MB/s, 1.5GiB/s (KB, MB, GB are powers of 1000)",
        Required = true,
        HelpName = "RATE",
        CustomParser = ParseRate,
    };
    private readonly Option<long> _segmentMiB = CliOptions.SegmentMiB("the publisher's segment size in MiB");
    private readonly Option<long> _subscribers = Count("--subscribers", "subscribers of the broadcast", 1, 100_000_000, required: true);
    private readonly Option<long> _replicas = Count("--replicas", "read replicas: each segment stored under 1 + K keys on distinct prefixes", 0, S3Fanout.Shared.Protocol.KeyLayout.MaxReplicas);
    private readonly Option<long> _relays = Count("--relays", "relays the subscribers are split over (none reads the origin)", 0, 100_000);
    private readonly Option<TimeSpan> _window = CliOptions.Duration("--notify-window", "the publisher's coalescing window: at most one notification per window",
        TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
    private readonly Option<bool> _json = new("--json") { Description = "print the plan as JSON on stdout, for scripts" };

    public PlanCommand()
    {
        Command = new Command("plan", "Estimate requests a second against AWS's quotas, time to join and dollars an hour for a fan-out (no AWS call).")
        {
            _rate, _segmentMiB, _subscribers, _replicas, _relays, _window, _json,
        };
    }

    public Command Command { get; }

    public static string Epilog => """
        Examples:
          s3fanout-subscribe plan --rate 100MB/s --subscribers 10000
          s3fanout-subscribe plan --rate 100MB/s -m 8 --subscribers 10000 --relays 10 --replicas 2 --json

        Each line says OK or OVER against the AWS quota it names (with the page documenting it); the prices are
        us-east-1's, each with its source and the date it was looked up. Exit codes: 0 the plan was printed (OVER lines
        included), 2 a bad command line.
        """;

    public Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var plan = new CapacityPlan(new PlanInputs
        {
            BytesPerSecond = parse.GetValue(_rate),
            SegmentMiB = parse.GetValue(_segmentMiB),
            Subscribers = parse.GetValue(_subscribers),
            Replicas = (int)parse.GetValue(_replicas),
            Relays = (int)parse.GetValue(_relays),
            NotifyWindow = parse.GetValue(_window),
        });
        var output = parse.InvocationConfiguration.Output;
        output.Write(parse.GetValue(_json) ? PlanReport.Json(plan).ToJsonString(Indented) + "\n" : PlanReport.Text(plan));
        return Task.FromResult(Shared.ExitCodes.Ok);
    }

    private static double ParseRate(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (ByteRate.TryParse(token, out var rate))
        {
            return rate;
        }
        result.AddError($"--rate '{token}' is not a rate (examples: 100MB/s, 1.5GiB/s)");
        return 0;
    }

    private static Option<long> Count(string name, string what, long min, long max, bool required = false)
    {
        var option = new Option<long>(name) { Description = $"{what}, {min}-{max}", Required = required, HelpName = "N" };
        option.Validators.Add(r =>
        {
            var token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && (v < min || v > max))
            {
                r.AddError($"{name} must be {min}-{max}, got {v}");
            }
        });
        return option;
    }
}
