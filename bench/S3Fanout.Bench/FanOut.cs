using System.Diagnostics;

namespace S3Fanout.Bench;

/// <summary>
/// Stage 5: 1 publisher and <see cref="BenchOptions.FanoutSubscribers"/> subscriber processes on one live broadcast; the
/// same publisher alone on the same stream (its speed without readers); and the fan-out limit: as many raw GET
/// processes (`S3Fanout.Bench raw-get`) reading the completed broadcast's segments at once, each into the same
/// consumer as a subscriber (`sha256sum`), so like is compared with like.
/// </summary>
internal sealed partial class Stages
{
    private static readonly string[] FanoutIds =
    [
        "s3fanout.fanout.aggregate", "s3fanout.fanout.lag", "s3fanout.fanout.finish_ratio", "s3fanout.fanout.identical",
        "s3fanout.fanout.publisher_ratio", "limit.fanout",
    ];

    private async Task FanOutAsync(int round)
    {
        var prefix = $"fanout/r{round + 1}";
        var url = $"s3://{Bucket}/{prefix}";
        await Guard(FanoutIds, prefix, async () =>
        {
            // Alternate which comes first, the publisher alone or with readers, so neither always meets a warmer emulator.
            var alonePrefix = $"fanout-alone/r{round + 1}";
            if (round % 2 == 1)
            {
                await PublisherAloneAsync(round, alonePrefix).ConfigureAwait(false);
            }
            var live = await LiveFanOutAsync(round, url, "s3fanout.fanout", [], []).ConfigureAwait(false);
            if (round % 2 == 0)
            {
                await PublisherAloneAsync(round, alonePrefix).ConfigureAwait(false);
            }
            if (Results.Rounds[round].TryGetValue("s3fanout.fanout.publisher_alone", out var alone) && alone > 0)
            {
                Results.Set(round, "s3fanout.fanout.publisher_ratio", live.PublisherMiBps / alone);
            }
            await RawFanOutAsync(round, prefix).ConfigureAwait(false);
        }).ConfigureAwait(false);
        // Again with the low-latency settings (one notification per segment, receives not paced): the lag the defaults
        // add by pacing notifications for fleet scale.
        var lowPrefix = $"fanout-low/r{round + 1}";
        await Guard(["s3fanout.fanout_low.lag", "s3fanout.fanout_low.identical"], lowPrefix, async () =>
        {
            await LiveFanOutAsync(round, $"s3://{Bucket}/{lowPrefix}", "s3fanout.fanout_low", ["--notify-window", "0s"], ["--receive-interval", "0s"]).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task PublisherAloneAsync(int round, string prefix)
    {
        await Guard(["s3fanout.fanout.publisher_ratio"], prefix, async () =>
        {
            var pub = await PublishAsync($"s3://{Bucket}/{prefix}", _fanoutFile, "s3fanout-publish (fan-out, alone)", TransferTimeout(O.FanoutBytes)).ConfigureAwait(false);
            Results.Set(round, "s3fanout.fanout.publisher_alone", pub.MiBPerSecond(O.FanoutBytes));
            Results.AddEvidence(round, "s3fanout.fanout.publisher_alone", pub.ToJson(O.FanoutBytes));
        }).ConfigureAwait(false);
    }

    private sealed record LiveFanOut(double PublisherMiBps);

    private async Task<LiveFanOut> LiveFanOutAsync(int round, string url, string id, string[] publisherArgs, string[] subscriberArgs)
    {
        var n = BenchOptions.FanoutSubscribers;
        var queues = await S3.CountSubscriberQueuesAsync(Bucket).ConfigureAwait(false);
        var subs = new List<(Process Process, Task<long> Ended, string Time, string Err, string Sha)>();
        try
        {
            for (var i = 0; i < n; i++)
            {
                var (time, err, sha) = (TimeFile(), ErrFile(), Path.Combine(O.WorkDir, $"sub{i}.{_runId}.sha"));
                var script = $"set -o pipefail; {Shell.TimePrefix(time)}{Dotnet(O.SubscriberDll)} --endpoint-url {Shell.Q(Endpoint)} --wait 300s {string.Join(' ', subscriberArgs)} {Shell.Q(url)} 2> {Shell.Q(err)} | sha256sum | cut -c1-64 > {Shell.Q(sha)}";
                var p = Shell.Start(script);
                subs.Add((p, Shell.WaitAsync(p, TransferTimeout(O.FanoutBytes * n) + TimeSpan.FromSeconds(300)), time, err, sha));
            }
            await WaitForQueuesAsync(queues + n, TimeSpan.FromSeconds(180), subs.Select(s => s.Process).ToList(), null).ConfigureAwait(false);
            await Task.Delay(500).ConfigureAwait(false);

            var before = Cpu.Read();
            var t0 = Stopwatch.GetTimestamp();
            var pub = await RunChildAsync($"exec {Shell.TimePrefix(TimeFile())}{Dotnet(O.PublisherDll)} --endpoint-url {Shell.Q(Endpoint)} {string.Join(' ', publisherArgs)} {Shell.Q(url)} < {Shell.Q(_fanoutFile)} > /dev/null 2> {Shell.Q(ErrFile())}",
                "s3fanout-publish (fan-out)", TransferTimeout(O.FanoutBytes * n)).ConfigureAwait(false);
            if (pub.ExitCode != 0)
            {
                throw new StageException($"the publisher exited {pub.ExitCode}: {pub.StderrTail}");
            }
            var ends = await Task.WhenAll(subs.Select(s => s.Ended)).ConfigureAwait(false);
            var after = Cpu.Read();
            var last = ends.Max();
            var runs = subs.Select((s, i) => Shell.Collect(s.Process.ExitCode, Stopwatch.GetElapsedTime(t0, ends[i]).TotalSeconds, ends[i], s.Time, s.Err)).ToList();
            var identical = subs.Zip(runs).Count(x => x.Second.ExitCode == 0 && File.Exists(x.First.Sha) && File.ReadAllText(x.First.Sha).Trim() == _fanoutSha256);
            var span = Stopwatch.GetElapsedTime(t0, last).TotalSeconds;
            var pubSpan = Stopwatch.GetElapsedTime(t0, pub.EndedAt).TotalSeconds;
            Results.Set(round, $"{id}.aggregate", n * O.FanoutBytes / 1048576.0 / span);
            Results.Set(round, $"{id}.lag", Stopwatch.GetElapsedTime(pub.EndedAt, last).TotalSeconds);
            Results.Set(round, $"{id}.finish_ratio", span / pubSpan);
            Results.Set(round, $"{id}.identical", identical);
            var clientCpu = pub.CpuS + runs.Sum(r => r.CpuS);
            var sample = new Sample(span, clientCpu, after.Emulator - before.Emulator, after.MachineBusy - before.MachineBusy, after.MachineTotal - before.MachineTotal, 0);
            var evidence = sample.ToJson(n * O.FanoutBytes);
            evidence["publisher_wall_s"] = Math.Round(pubSpan, 3);
            evidence["publisher_mib_per_s"] = Math.Round(O.FanoutBytes / 1048576.0 / pubSpan, 1);
            evidence["publisher_cpu_s"] = Math.Round(pub.CpuS, 2);
            evidence["subscriber_finish_s"] = runs.Select(r => Math.Round(r.WallS, 2)).ToList();
            evidence["subscriber_cpu_s"] = runs.Select(r => Math.Round(r.CpuS, 2)).ToList();
            evidence["subscriber_peak_rss_mib"] = runs.Select(r => Math.Round(r.PeakRssKb / 1024.0, 1)).ToList();
            evidence["subscriber_exit_codes"] = runs.Select(r => r.ExitCode).ToList();
            var failures = runs.Where(r => r.ExitCode != 0).Select(r => r.StderrTail).Distinct().ToList();
            if (failures.Count > 0)
            {
                evidence["subscriber_errors"] = failures;
            }
            Results.AddEvidence(round, id, evidence);
            return new LiveFanOut(O.FanoutBytes / 1048576.0 / pubSpan);
        }
        finally
        {
            foreach (var s in subs.Where(s => !s.Process.HasExited))
            {
                s.Process.Kill(entireProcessTree: true);
            }
            foreach (var s in subs)
            {
                s.Process.Dispose();
                File.Delete(s.Sha);
            }
        }
    }

    /// <summary>
    /// The fan-out limit: <see cref="BenchOptions.FanoutSubscribers"/> raw GET processes started together on the
    /// completed broadcast under <paramref name="prefix"/>, each writing the segments in order into `sha256sum`.
    /// Every copy must have the stream's SHA-256, so the limit read what the subscribers read.
    /// </summary>
    private async Task RawFanOutAsync(int round, string prefix)
    {
        var n = BenchOptions.FanoutSubscribers;
        var bench = typeof(Stages).Assembly.Location;
        var readers = new List<(Task<TimedRun> Run, string Sha)>();
        var before = Cpu.Read();
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            var (time, err, sha) = (TimeFile(), ErrFile(), Path.Combine(O.WorkDir, $"raw{i}.{_runId}.sha"));
            var script = $"set -o pipefail; {Shell.TimePrefix(time)}{Shell.Q(O.Dotnet)} exec {Shell.Q(bench)} raw-get {Shell.Q(Endpoint)} {Shell.Q(Bucket)} {Shell.Q(prefix)} 2> {Shell.Q(err)} | sha256sum | cut -c1-64 > {Shell.Q(sha)}";
            readers.Add((Shell.RunAsync(script, time, err, TransferTimeout(O.FanoutBytes * n)), sha));
        }
        var runs = await Task.WhenAll(readers.Select(r => r.Run)).ConfigureAwait(false);
        var span = Stopwatch.GetElapsedTime(t0, runs.Max(r => r.EndedAt)).TotalSeconds;
        var after = Cpu.Read();
        var wrong = readers.Zip(runs).Where(x => x.Second.ExitCode != 0 || !File.Exists(x.First.Sha) || File.ReadAllText(x.First.Sha).Trim() != _fanoutSha256).ToList();
        foreach (var (_, sha) in readers)
        {
            File.Delete(sha);
        }
        if (wrong.Count > 0)
        {
            throw new StageException($"{wrong.Count} of {n} raw GET processes did not read the stream: {wrong[0].Second.StderrTail}");
        }
        Results.Set(round, "limit.fanout", n * O.FanoutBytes / 1048576.0 / span);
        var sample = new Sample(span, runs.Sum(r => r.CpuS), after.Emulator - before.Emulator, after.MachineBusy - before.MachineBusy, after.MachineTotal - before.MachineTotal, 0);
        var evidence = sample.ToJson(n * O.FanoutBytes);
        evidence["reader_cpu_s"] = runs.Select(r => Math.Round(r.CpuS, 2)).ToList();
        evidence["reader_finish_s"] = runs.Select(r => Math.Round(r.WallS, 2)).ToList();
        Results.AddEvidence(round, "limit.fanout", evidence);
        Log($"  limit.fanout: {n} raw GET processes, {Results.Rounds[round]["limit.fanout"]:F1} MiB/s delivered");
    }
}
