using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace S3Fanout.Bench;

/// <summary>
/// The cost of waiting, measured together: a one-shot subscriber waiting for a broadcast that has not started, and a
/// `serve` with one channel and nothing to mirror. Each is watched from /proc once it has subscribed its queue and
/// settled: CPU seconds per second over <see cref="BenchOptions.IdleWatch"/>, and the subscriber's peak RSS (VmHWM,
/// start-up included) and RSS at the end.
/// </summary>
internal sealed partial class Stages
{
    private static readonly string[] IdleIds = ["waiting.cpu", "waiting.rss", "serve.idle.cpu"];

    private async Task IdleAsync(int round)
    {
        var prefix = $"idle/r{round + 1}";
        await Guard(IdleIds, prefix, async () =>
        {
            var state = Path.Combine(O.WorkDir, $"serve-state-r{round + 1}");
            var config = Path.Combine(O.WorkDir, $"serve-r{round + 1}.json");
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
            {
                S3Fanout = new
                {
                    StateDirectory = state,
                    Channels = new[] { new { Url = $"s3://{Bucket}/{prefix}/serve/", Sink = new { Type = "directory", Path = Path.Combine(state, "out") } } },
                },
            })).ConfigureAwait(false);
            var queues = await S3.CountSubscriberQueuesAsync(Bucket).ConfigureAwait(false);
            var (subErr, serveErr) = (ErrFile(), ErrFile());
            using var sub = Shell.Start($"exec {Dotnet(O.SubscriberDll)} --endpoint-url {Shell.Q(Endpoint)} --wait 3600s {Shell.Q($"s3://{Bucket}/{prefix}/never")} > /dev/null 2> {Shell.Q(subErr)}");
            using var serve = Shell.Start($"exec {Dotnet(O.SubscriberDll)} serve --config {Shell.Q(config)} --endpoint-url {Shell.Q(Endpoint)} > /dev/null 2> {Shell.Q(serveErr)}");
            try
            {
                await WaitForQueuesAsync(queues + 2, TimeSpan.FromSeconds(120), [sub, serve], null).ConfigureAwait(false);
                await Task.Delay(O.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                var (sub0, serve0) = (CpuMeter.ProcessCpu(sub.Id), CpuMeter.ProcessCpu(serve.Id));
                var watch = Stopwatch.StartNew();
                await Task.Delay(O.IdleWatch).ConfigureAwait(false);
                var seconds = watch.Elapsed.TotalSeconds;
                var (sub1, serve1) = (CpuMeter.ProcessCpu(sub.Id), CpuMeter.ProcessCpu(serve.Id));
                if (sub.HasExited || serve.HasExited)
                {
                    throw new StageException($"an idle process exited: subscriber {Shell.Tail(subErr)} serve {Shell.Tail(serveErr)}");
                }
                var (peakKb, rssKb) = (StatusKb(sub.Id, "VmHWM"), StatusKb(sub.Id, "VmRSS"));
                Results.Set(round, "waiting.cpu", (sub1 - sub0) / seconds);
                Results.Set(round, "waiting.rss", peakKb / 1024.0);
                Results.Set(round, "serve.idle.cpu", (serve1 - serve0) / seconds);
                Results.AddEvidence(round, "idle", new Dictionary<string, object>
                {
                    ["watched_s"] = Math.Round(seconds, 1),
                    ["waiting_cpu_s"] = Math.Round(sub1 - sub0, 2),
                    ["waiting_peak_rss_mib"] = Math.Round(peakKb / 1024.0, 1),
                    ["waiting_rss_at_end_mib"] = Math.Round(rssKb / 1024.0, 1),
                    ["serve_cpu_s"] = Math.Round(serve1 - serve0, 2),
                    ["serve_peak_rss_mib"] = Math.Round(StatusKb(serve.Id, "VmHWM") / 1024.0, 1),
                });
                Log($"  waiting subscriber {(sub1 - sub0) / seconds:F4} CPU s/s, peak RSS {peakKb / 1024.0:F1} MiB; idle serve {(serve1 - serve0) / seconds:F4} CPU s/s");
            }
            finally
            {
                foreach (var p in new[] { sub, serve }.Where(p => !p.HasExited))
                {
                    p.Kill(entireProcessTree: true);
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>A kB figure of /proc/PID/status (VmHWM: peak resident set; VmRSS: now).</summary>
    private static long StatusKb(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
