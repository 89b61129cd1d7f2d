using System.Globalization;
using System.Text.Json;
using S3Fanout.Bench;

// The driver behind bench/run: bench/run installs, builds and starts the emulator, then runs this with the
// endpoint and the built executables. Prints the table on stdout, progress on stderr, writes JSON and Markdown.
if (args is ["raw-get", var rawEndpoint, var rawBucket, var rawPrefix])
{
    // One raw GET process of the fan-out limit (Stages.RawFanOutAsync): the broadcast's segments, in order, to stdout.
    using var raw = new RawS3(new Uri(rawEndpoint));
    await using var stdout = Console.OpenStandardOutput();
    await raw.StreamSegmentsAsync(rawBucket, rawPrefix, stdout);
    return 0;
}
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"S3Fanout.Bench: {e.Message} (run it through bench/run)");
    return 2;
}

var started = DateTimeOffset.UtcNow;
var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
var bucket = $"s3fanout-bench-{Environment.ProcessId}";
var results = new Results();
using var s3 = new RawS3(options.Endpoint);
var stages = new Stages(options, s3, new CpuMeter(options.EmulatorPid), results, bucket);

Stages.Log(options.Scale is null
    ? $"stream {Report.SizeText(options.SizeBytes)} (memory stage {Report.SizeText(options.MemoryBytes)} and {Report.SizeText(options.LargeBytes)}), {options.Runs} run(s){(options.Quick ? ", quick" : "")}; bucket {bucket} on {options.Endpoint}"
    : $"scale harness; bucket {bucket} on {options.Endpoint}");
if (options.Aws is null && options.Scale is null)
{
    Stages.Log($"aws-cli rows OMITTED: {options.AwsMissingReason ?? "/usr/bin/aws is not installed"}");
}
await s3.CreateBucketAsync(bucket);
if (options.SdkVariants)
{
    Directory.CreateDirectory(options.WorkDir);
    var file = Path.Combine(options.WorkDir, "stream-base.bin");
    Stages.WriteRandomFile(file, options.SizeBytes);
    return await SdkVariants.RunAsync(options, bucket, file);
}
if (options.LongBroadcast)
{
    return await LongBroadcast.RunAsync(options, s3, bucket);
}
if (options.Scale is { } scale)
{
    return await new S3Fanout.Bench.Scale.ScaleRun(options, s3, bucket, scale).RunAsync();
}
if (options.MemoryProbe)
{
    return await MemoryProbe.RunAsync(options, s3, bucket);
}
Stages.Log("writing the random input files");
await stages.PrepareAsync();
for (var round = 0; round < options.Runs; round++)
{
    await stages.RoundAsync(round);
}

var rows = Report.Build(options, results);
var text = Report.Text(rows);
Console.WriteLine();
Console.WriteLine($"S3Fanout benchmark: {Report.SizeText(options.SizeBytes)} stream, median of {options.Runs} run(s); ratios are medians of per-run ratios");
Console.Write(text);

var machine = new Dictionary<string, object?>
{
    ["nproc"] = Environment.ProcessorCount,
    ["memory_gib"] = Math.Round(MemTotalKb() / 1048576.0, 1),
    ["cpu_model"] = CpuModel(),
    ["kernel"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
    ["dotnet_sdk"] = Shell.Capture(options.Dotnet, "--version"),
    ["dotnet_runtime"] = Environment.Version.ToString(),
    ["fauxqs"] = options.FauxqsVersion,
    ["awscli"] = options.Aws is null ? null : Shell.Capture(options.Aws, "--version"),
    ["loadavg_before"] = loadBefore,
    ["loadavg_after"] = File.ReadAllText("/proc/loadavg").Trim(),
};
var document = new Dictionary<string, object?>
{
    ["schema"] = 1,
    ["generated_at"] = started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    ["duration_s"] = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
    ["product_commit"] = options.ProductCommit,
    ["settings"] = new Dictionary<string, object?>
    {
        ["quick"] = options.Quick,
        ["runs"] = options.Runs,
        ["stream_bytes"] = options.SizeBytes,
        ["memory_stream_bytes"] = options.MemoryBytes,
        ["large_stream_bytes"] = options.LargeBytes,
        ["idle_watch_s"] = options.IdleWatch.TotalSeconds,
        ["segment_mib"] = BenchOptions.SegmentMiB,
        ["workers"] = BenchOptions.Workers,
        ["fanout_subscribers"] = BenchOptions.FanoutSubscribers,
        ["fanout_stream_bytes"] = options.FanoutBytes,
        ["latency_lines"] = options.LatencyLines,
        ["latency_line_bytes"] = 100,
        ["latency_line_interval_ms"] = options.LineInterval.TotalMilliseconds,
        ["flush_interval_ms"] = options.FlushInterval.TotalMilliseconds,
        ["memory_target_mib"] = BenchOptions.MemoryTargetMiB,
        ["memory_growth_target"] = BenchOptions.MemoryGrowthTarget,
        ["s3fanout_settings"] = "defaults (-m 8 -n 4, --notify sns); latency stage adds --flush-interval; every reader writes into a pipe",
        ["awscli_settings"] = "defaults (8 MiB multipart chunks, 10 concurrent requests)",
    },
    ["machine"] = machine,
    ["rows"] = Report.Json(rows),
    ["evidence"] = results.Evidence,
};
var outDir = Path.GetDirectoryName(Path.GetFullPath(options.Out))!;
Directory.CreateDirectory(outDir);
await File.WriteAllTextAsync(options.Out, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n");
await File.WriteAllTextAsync(Path.ChangeExtension(options.Out, ".md"), Report.Markdown(rows));
Console.WriteLine();
Console.WriteLine($"JSON: {options.Out}");
Console.WriteLine($"Markdown table: {Path.ChangeExtension(options.Out, ".md")}");

var failed = rows.Where(r => r.Status == "failed").Select(r => r.Spec.Id).ToList();
var omitted = rows.Where(r => r.Status == "omitted").Select(r => r.Spec.Id).ToList();
if (omitted.Count > 0)
{
    Console.WriteLine($"OMITTED: {string.Join(", ", omitted)}: {results.Omitted.Values.First()}");
}
if (failed.Count > 0)
{
    Console.WriteLine($"FAILED: {string.Join(", ", failed)}");
    return 1;
}
return 0;

static long MemTotalKb()
{
    var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

static string CpuModel() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
