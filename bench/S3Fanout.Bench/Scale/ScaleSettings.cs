using System.Globalization;

namespace S3Fanout.Bench.Scale;

/// <summary>
/// The scale run's shape: how many in-process subscribers, the broadcast (stream size, segment size, steady segment rate)
/// and the AWS quotas switched on at the proxy. The per-prefix GET rate is scaled to the fleet: AWS gives a prefix 5,500
/// GET/s, and the fleet is 10,000 subscribers, so N subscribers here get N / 10,000 of it (550 GET/s for 1,000).
/// </summary>
internal sealed record ScaleSettings
{
    public const double AwsGetsPerPrefix = 5_500;
    public const int AwsFleet = 10_000;

    public int Subscribers { get; init; } = 1000;
    public int StreamKiB { get; init; } = 16 * 1024;
    public int SegmentKiB { get; init; } = 256;
    public int SegmentsPerSecond { get; init; } = 20;
    public double PrefixGetRate { get; init; }

    /// <summary>Where <see cref="PrefixGetRate"/> comes from, for the report.</summary>
    public string PrefixGetRateBasis { get; init; } = "";
    public int FilterPoliciesPerTopic { get; init; } = 200;
    public int SubscribesPerSecond { get; init; } = 100;
    /// <summary>Each in-process subscriber's -n.</summary>
    public int Workers { get; init; } = 2;
    public int Relays { get; init; } = 10;
    /// <summary>The publisher's --replicas K (0: not given, for publishers without the option).</summary>
    public int Replicas { get; init; }

    public int StreamBytes => StreamKiB * 1024;
    public int ChunkBytes => SegmentKiB * 1024;
    public TimeSpan WriteInterval => TimeSpan.FromSeconds(1.0 / SegmentsPerSecond);

    /// <summary>The publisher seals each chunk alone: half the time between two writes.</summary>
    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(Math.Max(10, WriteInterval.TotalMilliseconds / 2));

    public static ScaleSettings From(IReadOnlyDictionary<string, string> values)
    {
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var subscribers = Int("subscribers", 1000);
        var settings = new ScaleSettings
        {
            Subscribers = subscribers,
            StreamKiB = Int("scale-stream-kib", 16 * 1024),
            SegmentKiB = Int("scale-segment-kib", 256),
            SegmentsPerSecond = Int("scale-rate", 20),
            Workers = Int("scale-workers", 2),
            Relays = Int("relays", 10),
            Replicas = Int("replicas", 0),
            PrefixGetRate = values.TryGetValue("prefix-get-rate", out var rate)
                ? double.Parse(rate, CultureInfo.InvariantCulture)
                : Math.Max(1, AwsGetsPerPrefix * subscribers / AwsFleet),
            PrefixGetRateBasis = values.ContainsKey("prefix-get-rate")
                ? "set by --prefix-get-rate"
                : $"AWS's 5,500 GET/s per prefix × {subscribers} / 10,000 subscribers",
        };
        if (settings.Subscribers < 1 || settings.StreamKiB < 1 || settings.SegmentKiB < 1 || settings.SegmentsPerSecond < 1 || settings.PrefixGetRate <= 0 || settings.Relays < 0)
        {
            throw new ArgumentException("--subscribers, --scale-stream-kib, --scale-segment-kib, --scale-rate and --prefix-get-rate must be positive");
        }
        return settings;
    }
}
