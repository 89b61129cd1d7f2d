using System.Globalization;

namespace S3Fanout.Bench;

/// <summary>What bench/run hands the driver. Every figure is derived from these, so they are recorded in the JSON too.</summary>
internal sealed class BenchOptions
{
    public const int SegmentMiB = 8;
    public const int Workers = 4;
    public const int FanoutSubscribers = 10;

    public required Uri Endpoint { get; init; }
    public required string PublisherDll { get; init; }
    public required string SubscriberDll { get; init; }
    public required string WorkDir { get; init; }
    public required string Out { get; init; }
    public int EmulatorPid { get; init; }
    public string? Aws { get; init; }
    public string? AwsMissingReason { get; init; }
    public int SizeMiB { get; init; } = 512;
    /// <summary>The memory stage's smaller stream; the larger one is <see cref="LargeFactor"/> times it.</summary>
    public int MemoryMiB { get; init; } = 1024;
    public int LargeFactor { get; init; } = 4;
    public int FanoutMiB { get; init; } = 128;
    /// <summary>How long the waiting-subscriber and idle-serve rows watch a process that has settled.</summary>
    public TimeSpan IdleWatch { get; init; } = TimeSpan.FromSeconds(30);
    public int Runs { get; init; } = 3;
    public bool Quick { get; init; }
    public bool SdkVariants { get; init; }
    public bool MemoryProbe { get; init; }
    public bool LongBroadcast { get; init; }
    /// <summary>--scale: the fan-out harness (<see cref="Scale.ScaleRun"/>) with these settings.</summary>
    public Scale.ScaleSettings? Scale { get; init; }
    public int LatencyLines { get; init; } = 120;
    public int LatencyWarmupLines { get; init; } = 10;
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan LineInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    public string FauxqsVersion { get; init; } = "unknown";
    public string ProductCommit { get; init; } = "unknown";
    public string Dotnet { get; init; } = "dotnet";

    public long SizeBytes => SizeMiB * 1024L * 1024;
    public long MemoryBytes => MemoryMiB * 1024L * 1024;
    public long LargeBytes => MemoryBytes * LargeFactor;
    public long FanoutBytes => FanoutMiB * 1024L * 1024;
    public static long SegmentBytes => SegmentMiB * 1024L * 1024;

    /// <summary>The memory target: (workers + 1) × segment size + 60 MiB, for both roles.</summary>
    public static double MemoryTargetMiB => ((Workers + 1) * SegmentMiB) + 60;

    /// <summary>Peak RSS at 4× the memory stream within this factor of the 1× stream's.</summary>
    public const double MemoryGrowthTarget = 1.05;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var quick = false;
        var sdkVariants = false;
        var memoryProbe = false;
        var longBroadcast = false;
        var scale = false;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--quick")
            {
                quick = true;
                continue;
            }
            if (a == "--sdk-variants")
            {
                sdkVariants = true;
                continue;
            }
            if (a == "--memory-probe")
            {
                memoryProbe = true;
                continue;
            }
            if (a == "--long-broadcast")
            {
                longBroadcast = true;
                continue;
            }
            if (a == "--scale")
            {
                scale = true;
                continue;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{a}'");
            }
            values[a[2..]] = args[++i];
        }
        string Need(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var aws = values.GetValueOrDefault("aws");
        return new BenchOptions
        {
            Endpoint = new Uri(Need("endpoint")),
            PublisherDll = Need("publisher-dll"),
            SubscriberDll = Need("subscriber-dll"),
            WorkDir = Need("work"),
            Out = Need("out"),
            EmulatorPid = Int("emulator-pid", 0),
            Aws = string.IsNullOrEmpty(aws) ? null : aws,
            AwsMissingReason = values.GetValueOrDefault("aws-missing-reason"),
            Quick = quick,
            SdkVariants = sdkVariants,
            MemoryProbe = memoryProbe,
            LongBroadcast = longBroadcast,
            Scale = scale ? global::S3Fanout.Bench.Scale.ScaleSettings.From(values) : null,
            SizeMiB = Int("size-mib", quick ? 16 : 512),
            MemoryMiB = Int("memory-mib", quick ? 16 : 1024),
            LargeFactor = Int("large-factor", 4),
            FanoutMiB = Int("fanout-mib", Math.Min(128, Int("size-mib", quick ? 16 : 512))),
            IdleWatch = TimeSpan.FromSeconds(Int("idle-watch-s", quick ? 4 : 30)),
            Runs = Int("runs", quick ? 1 : 3),
            LatencyLines = Int("latency-lines", quick ? 20 : 120),
            LatencyWarmupLines = Int("latency-warmup-lines", quick ? 3 : 10),
            FauxqsVersion = values.GetValueOrDefault("fauxqs-version") ?? "unknown",
            ProductCommit = values.GetValueOrDefault("product-commit") ?? "unknown",
            Dotnet = values.GetValueOrDefault("dotnet") ?? "dotnet",
        };
    }
}
