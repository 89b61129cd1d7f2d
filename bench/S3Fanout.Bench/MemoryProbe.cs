using System.Diagnostics;
using System.Globalization;

namespace S3Fanout.Bench;

/// <summary>
/// `bench/run --memory-probe`: where the subscriber's peak RSS on long streams comes from. Publishes completed
/// broadcasts of 1×, 2× and 4× --size-mib, then runs the subscriber on each under several GC settings (environment
/// variables of the .NET runtime), --runs rounds in rotating order, and prints per run: wall, CPU, peak RSS (from
/// /usr/bin/time), and the RSS sampled every 50 ms (at 10/25/50/75/90% of the run, the time of the peak, and the
/// highest RSS in the first and last quarter). A peak that comes late and grows with the stream is growth; one that is
/// reached early and only touched again later is a plateau, and its height is then a question of GC budgets.
/// </summary>
internal static class MemoryProbe
{
    private static readonly (string Name, string Env)[] Variants =
    [
        ("defaults (workstation, concurrent GC)", ""),
        ("DOTNET_gcServer=0", "DOTNET_gcServer=0"),
        ("DOTNET_gcConcurrent=0", "DOTNET_gcConcurrent=0"),
        ("DOTNET_GCgen0size=0x400000 (4 MiB)", "DOTNET_GCgen0size=0x400000"),
        ("DOTNET_GCgen0size=0x1000000 (16 MiB)", "DOTNET_GCgen0size=0x1000000"),
        ("DOTNET_GCHeapHardLimit=0x6000000 (96 MiB)", "DOTNET_GCHeapHardLimit=0x6000000"),
    ];

    private static readonly double[] TimelinePoints = [0.10, 0.25, 0.50, 0.75, 0.90];

    public static async Task<int> RunAsync(BenchOptions o, RawS3 s3, string bucket)
    {
        var endpoint = o.Endpoint.ToString().TrimEnd('/');
        Directory.CreateDirectory(o.WorkDir);
        var file = Path.Combine(o.WorkDir, "probe.bin");
        Stages.WriteRandomFile(file, o.SizeBytes);
        var factors = new[] { 1, 2, 4 };
        foreach (var f in factors)
        {
            var url = $"s3://{bucket}/probe/x{f}";
            Stages.Log($"publishing {Report.SizeText(o.SizeBytes * f)} to {url}");
            var cat = string.Join(' ', Enumerable.Repeat(Shell.Q(file), f));
            var run = await Shell.RunAsync($"set -o pipefail; cat {cat} | {Shell.TimePrefix(Tmp(o, "pub.time"))}{Shell.Q(o.Dotnet)} exec {Shell.Q(o.PublisherDll)} --endpoint-url {Shell.Q(endpoint)} {Shell.Q(url)} > /dev/null 2> {Shell.Q(Tmp(o, "pub.err"))}",
                Tmp(o, "pub.time"), Tmp(o, "pub.err"), TimeSpan.FromMinutes(15)).ConfigureAwait(false);
            if (run.ExitCode != 0)
            {
                Console.WriteLine($"publishing failed: {run.StderrTail}");
                return 1;
            }
            Console.WriteLine($"  published {Report.SizeText(o.SizeBytes * f)}: {run.WallS:F1} s, publisher peak RSS {run.PeakRssKb / 1024.0:F1} MiB");
        }

        Console.WriteLine($"  {"round",-5} {"variant",-44} {"stream",7} {"wall s",7} {"cpu s",6} {"peak MiB",8} {"peak at",7}  RSS MiB at 10/25/50/75/90%     max 1st¼ / last¼");
        for (var round = 0; round < o.Runs; round++)
        {
            for (var k = 0; k < Variants.Length; k++)
            {
                var (name, env) = Variants[(k + round) % Variants.Length];
                foreach (var f in round % 2 == 0 ? factors : factors.Reverse())
                {
                    var url = $"s3://{bucket}/probe/x{f}";
                    var time = Tmp(o, $"sub{round}-{k}-{f}.time");
                    var err = Tmp(o, $"sub{round}-{k}-{f}.err");
                    var script = $"exec {Shell.TimePrefix(time)}env {env} {Shell.Q(o.Dotnet)} exec {Shell.Q(o.SubscriberDll)} --endpoint-url {Shell.Q(endpoint)} {Shell.Q(url)} > /dev/null 2> {Shell.Q(err)}";
                    var (run, samples) = await RunSampledAsync(script, time, err).ConfigureAwait(false);
                    if (run.ExitCode != 0)
                    {
                        Console.WriteLine($"  {round + 1,-5} {name,-44} {Report.SizeText(o.SizeBytes * f),7} FAILED (exit {run.ExitCode}): {run.StderrTail}");
                        continue;
                    }
                    Console.WriteLine($"  {round + 1,-5} {name,-44} {Report.SizeText(o.SizeBytes * f),7} {run.WallS,7:F2} {run.CpuS,6:F2} {run.PeakRssKb / 1024.0,8:F1} {PeakAt(samples),7}  {Timeline(samples),-28} {QuarterMax(samples)}");
                }
            }
        }
        await s3.DeletePrefixAsync(bucket, "probe").ConfigureAwait(false);
        return 0;
    }

    private static string Tmp(BenchOptions o, string name) => Path.Combine(o.WorkDir, name);

    /// <summary>Runs the script (its measured process is /usr/bin/time's child) and samples that child's VmRSS every 50 ms.</summary>
    internal static async Task<(TimedRun Run, List<(double T, double RssMiB)> Samples)> RunSampledAsync(string script, string time, string err)
    {
        var samples = new List<(double, double)>();
        var started = Stopwatch.GetTimestamp();
        using var process = Shell.Start(script);
        var waiting = Shell.WaitAsync(process, TimeSpan.FromMinutes(15));
        int? child = null;
        while (!waiting.IsCompleted)
        {
            child ??= ChildOf(process.Id);
            if (child is { } pid && RssMiB(pid) is { } rss)
            {
                samples.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, rss));
            }
            await Task.WhenAny(waiting, Task.Delay(50)).ConfigureAwait(false);
        }
        var ended = await waiting.ConfigureAwait(false);
        return (Shell.Collect(process.ExitCode, Stopwatch.GetElapsedTime(started, ended).TotalSeconds, ended, time, err), samples);
    }

    private static int? ChildOf(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim();
            return text.Length == 0 ? null : int.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double? RssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal static string PeakAt(List<(double T, double RssMiB)> s)
    {
        if (s.Count == 0)
        {
            return "—";
        }
        var end = s[^1].T;
        var peak = s.MaxBy(x => x.RssMiB);
        return $"{100 * peak.T / end:F0}%";
    }

    internal static string Timeline(List<(double T, double RssMiB)> s)
    {
        if (s.Count == 0)
        {
            return "—";
        }
        var end = s[^1].T;
        return string.Join(" / ", TimelinePoints.Select(p => s.LastOrDefault(x => x.T <= p * end, s[0]).RssMiB.ToString("0", CultureInfo.InvariantCulture)));
    }

    private static string QuarterMax(List<(double T, double RssMiB)> s)
    {
        if (s.Count == 0)
        {
            return "—";
        }
        var end = s[^1].T;
        var first = s.Where(x => x.T <= end / 4).Select(x => x.RssMiB).DefaultIfEmpty(0).Max();
        var last = s.Where(x => x.T >= end * 3 / 4).Select(x => x.RssMiB).DefaultIfEmpty(0).Max();
        return $"{first:F0} / {last:F0}";
    }
}
