using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using S3Fanout.TestSupport;

namespace S3Fanout.Bench;

/// <summary>
/// `bench/run --long-broadcast`: the subscriber's memory on a broadcast of many segments. Writes completed broadcasts of
/// 2,000 and 200,000 tiny segments (1–8 bytes each, with their <c>.checksums</c> and <c>.manifest</c>) straight into S3
/// with the tests' <see cref="SyntheticArchive"/> (publishing 200,000 live segments at one flush a second would take
/// 56 hours), then, --runs rounds, a late subscriber (stdout to /dev/null) and <c>verify</c> read each, with their RSS
/// sampled every 50 ms and their peak RSS from /usr/bin/time. Per-segment state shows as a peak that grows with the
/// segment count; flat memory as the same peak for both.
/// </summary>
internal static class LongBroadcast
{
    private static readonly long[] Counts = [2_000, 200_000];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(BenchOptions o, RawS3 s3, string bucket)
    {
        var endpoint = o.Endpoint.ToString().TrimEnd('/');
        Directory.CreateDirectory(o.WorkDir);
        var rows = new List<Dictionary<string, object?>>();
        foreach (var n in Counts)
        {
            var archive = SyntheticArchive.Of(n);
            var clock = Stopwatch.StartNew();
            await archive.WriteAsync(s3.Client, bucket, Name(n), parallel: 32, CancellationToken.None).ConfigureAwait(false);
            Stages.Log($"wrote {archive} in {clock.Elapsed.TotalSeconds:F1} s");
        }
        Console.WriteLine($"  {"round",-5} {"command",-10} {"segments",9} {"wall s",7} {"cpu s",6} {"peak MiB",8} {"peak at",7}  RSS MiB at 10/25/50/75/90%");
        var failed = false;
        for (var round = 0; round < o.Runs; round++)
        {
            foreach (var command in new[] { "subscribe", "verify" })
            {
                foreach (var n in round % 2 == 0 ? Counts : Counts.Reverse())
                {
                    var url = $"s3://{bucket}/{Name(n)}";
                    var time = Path.Combine(o.WorkDir, $"{command}{round}-{n}.time");
                    var err = Path.Combine(o.WorkDir, $"{command}{round}-{n}.err");
                    var args = command == "verify" ? $"verify --endpoint-url {Shell.Q(endpoint)} -n 16" : $"--endpoint-url {Shell.Q(endpoint)} -n 16";
                    var script = $"exec {Shell.TimePrefix(time)}{Shell.Q(o.Dotnet)} exec {Shell.Q(o.SubscriberDll)} {args} {Shell.Q(url)} > /dev/null 2> {Shell.Q(err)}";
                    var (run, samples) = await MemoryProbe.RunSampledAsync(script, time, err).ConfigureAwait(false);
                    if (run.ExitCode != 0)
                    {
                        failed = true;
                        Console.WriteLine($"  {round + 1,-5} {command,-10} {n,9} FAILED (exit {run.ExitCode}): {run.StderrTail}");
                        continue;
                    }
                    Console.WriteLine($"  {round + 1,-5} {command,-10} {n,9} {run.WallS,7:F2} {run.CpuS,6:F2} {run.PeakRssKb / 1024.0,8:F1} {MemoryProbe.PeakAt(samples),7}  {MemoryProbe.Timeline(samples)}");
                    rows.Add(new Dictionary<string, object?>
                    {
                        ["round"] = round + 1,
                        ["command"] = command,
                        ["segments"] = n,
                        ["wall_s"] = Math.Round(run.WallS, 2),
                        ["cpu_s"] = Math.Round(run.CpuS, 2),
                        ["peak_rss_mib"] = Math.Round(run.PeakRssKb / 1024.0, 1),
                        ["rss_timeline_mib"] = MemoryProbe.Timeline(samples),
                    });
                }
            }
        }
        foreach (var n in Counts)
        {
            await s3.DeletePrefixAsync(bucket, Name(n)).ConfigureAwait(false);
        }
        var document = new Dictionary<string, object?>
        {
            ["generated_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["product_commit"] = o.ProductCommit,
            ["subscriber_dll"] = o.SubscriberDll,
            ["settings"] = "synthetic completed archives of 1-8 byte segments; subscriber and verify with -n 16; RSS sampled every 50 ms",
            ["runs"] = rows,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.Out))!);
        await File.WriteAllTextAsync(o.Out, JsonSerializer.Serialize(document, Indented) + "\n").ConfigureAwait(false);
        Console.WriteLine($"JSON: {o.Out}");
        return failed ? 1 : 0;
    }

    private static string Name(long segments) => $"long/s{segments}";
}
