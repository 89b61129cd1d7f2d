using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace S3Fanout.Bench;

internal sealed class StageException(string message) : Exception(message);

/// <summary>The measurements. Each round runs every stage once; the throughput stages rotate their order between rounds.</summary>
internal sealed partial class Stages(BenchOptions o, RawS3 s3, CpuMeter cpu, Results results, string bucket)
{
    private static readonly string[] AwsIds = ["awscli.put", "awscli.get"];
    private string _baseFile = "";
    private string _memoryFile = "";
    private string _largeFile = "";
    private string _tinyFile = "";
    private string _baseSha256 = "";
    private string _fanoutFile = "";
    private string _fanoutSha256 = "";
    private int _runId;

    private string Endpoint => o.Endpoint.ToString().TrimEnd('/');

    // The other parts of this class (one file per stage) see the constructor's parameters through these.
    private BenchOptions O => o;
    private RawS3 S3 => s3;
    private CpuMeter Cpu => cpu;
    private Results Results => results;
    private string Bucket => bucket;

    private static TimeSpan TransferTimeout(long bytes) => TimeSpan.FromSeconds(120 + (bytes / 1048576.0 * 0.5));

    public async Task PrepareAsync()
    {
        Directory.CreateDirectory(o.WorkDir);
        _baseFile = Path.Combine(o.WorkDir, "stream-base.bin");
        _baseSha256 = WriteRandomFile(_baseFile, o.SizeBytes);
        (_fanoutFile, _fanoutSha256) = (_baseFile, _baseSha256);
        if (o.FanoutBytes != o.SizeBytes)
        {
            _fanoutFile = Path.Combine(o.WorkDir, "stream-fanout.bin");
            _fanoutSha256 = WriteRandomFile(_fanoutFile, o.FanoutBytes);
        }
        _memoryFile = _baseFile;
        if (o.MemoryBytes != o.SizeBytes)
        {
            _memoryFile = Path.Combine(o.WorkDir, "stream-memory.bin");
            WriteRandomFile(_memoryFile, o.MemoryBytes);
        }
        _largeFile = Path.Combine(o.WorkDir, "stream-large.bin");
        await using (var large = File.Create(_largeFile))
        {
            for (var i = 0; i < o.LargeFactor; i++)
            {
                await using var part = File.OpenRead(_memoryFile);
                await part.CopyToAsync(large).ConfigureAwait(false);
            }
        }
        _tinyFile = Path.Combine(o.WorkDir, "stream-1-byte.bin");
        await File.WriteAllBytesAsync(_tinyFile, [0x2a]).ConfigureAwait(false);
        // Warm the driver's own SDK path (JIT, connections), so round 1's limit is not its start-up.
        foreach (var shape in new[] { PutShape.Fastest, PutShape.SdkDefault with { ContentMd5 = true } })
        {
            await s3.PutSegmentsAsync(bucket, "warmup", _baseFile, Math.Min(o.SizeBytes, BenchOptions.SegmentBytes), shape).ConfigureAwait(false);
        }
        foreach (var shape in new[] { GetShape.WholeObjectRange, GetShape.WholeObject })
        {
            await s3.GetSegmentsAsync(bucket, "warmup", Math.Min(o.SizeBytes, BenchOptions.SegmentBytes), shape).ConfigureAwait(false);
        }
        await s3.DeletePrefixAsync(bucket, "warmup").ConfigureAwait(false);
    }

    public async Task RoundAsync(int round)
    {
        var throughput = new (string Name, Func<int, Task> Run)[] { ("limit", LimitAsync), ("aws-cli", AwsCliAsync), ("s3fanout", ToolAsync) };
        for (var k = 0; k < throughput.Length; k++)
        {
            var (name, run) = throughput[(k + round) % throughput.Length];
            Log($"round {round + 1}/{o.Runs}: {name} throughput");
            await run(round).ConfigureAwait(false);
        }
        Log($"round {round + 1}/{o.Runs}: start-up");
        await StartupAsync(round).ConfigureAwait(false);
        Log($"round {round + 1}/{o.Runs}: a waiting subscriber and an idle serve, {o.IdleWatch.TotalSeconds:F0} s");
        await IdleAsync(round).ConfigureAwait(false);
        Log($"round {round + 1}/{o.Runs}: latency");
        await LatencyAsync(round, "s3fanout.latency", [], []).ConfigureAwait(false);
        // The same with the settings for low latency (README, "Latency"): one notification per segment, receives not
        // paced. The defaults trade latency for fewer SNS and SQS requests at fleet scale.
        await LatencyAsync(round, "s3fanout.latency_low", ["--notify-window", "0s"], ["--receive-interval", "0s"]).ConfigureAwait(false);
        Log($"round {round + 1}/{o.Runs}: live fan-out to {BenchOptions.FanoutSubscribers} subscribers, and its limit");
        await FanOutAsync(round).ConfigureAwait(false);
        Log($"round {round + 1}/{o.Runs}: memory with {Report.SizeText(o.MemoryBytes)} and {Report.SizeText(o.LargeBytes)} streams");
        await MemoryAsync(round).ConfigureAwait(false);
    }

    // ---- 1. the limit ------------------------------------------------------------------------------------------

    /// <summary>
    /// The raw SDK rows. Each PUT shape (without and with Content-MD5; the SDK's defaults and the fastest settings) and
    /// each GET shape (whole object; whole-object byte range) is measured once per round, in an order that rotates
    /// between rounds. The limit of a round is its fastest shape without Content-MD5: the best the raw SDK does at that
    /// moment, so no ratio is ever taken against a slower variant (on an emulator-bound PUT the two shapes are within
    /// noise of each other; taking the faster one only makes the targets harder).
    /// </summary>
    private async Task LimitAsync(int round)
    {
        var prefix = $"raw/r{round + 1}";
        await Guard(["limit.put", "limit.get", "ref.put_unchunked", "ref.get_range", "ref.get_sdk_default"], prefix, async () =>
        {
            var puts = new (string Id, PutShape Shape)[]
            {
                ("ref.put_unchunked", PutShape.Fastest),
                ("ref.put_content_md5", PutShape.Fastest with { ContentMd5 = true }),
                ("ref.put_crc64", PutShape.Fastest with { Crc64 = true }),
                ("ref.put_sdk_default", PutShape.SdkDefault),
                ("ref.put_sdk_default_md5", PutShape.SdkDefault with { ContentMd5 = true }),
            };
            for (var k = 0; k < puts.Length; k++)
            {
                var (id, shape) = puts[(k + round) % puts.Length];
                if (id == "ref.put_unchunked")
                {
                    // Its objects are the ones the GETs below read.
                    Record(round, id, await InProcessAsync(() => s3.PutSegmentsAsync(bucket, prefix, _baseFile, o.SizeBytes, shape)).ConfigureAwait(false), o.SizeBytes);
                    continue;
                }
                var refPrefix = $"{id.Replace('.', '-')}/r{round + 1}";
                await Guard([id], refPrefix, async () =>
                {
                    Record(round, id, await InProcessAsync(() => s3.PutSegmentsAsync(bucket, refPrefix, _baseFile, o.SizeBytes, shape)).ConfigureAwait(false), o.SizeBytes);
                }).ConfigureAwait(false);
            }
            var gets = new (string Id, GetShape Shape)[] { ("ref.get_range", GetShape.WholeObjectRange), ("ref.get_sdk_default", GetShape.WholeObject) };
            for (var k = 0; k < gets.Length; k++)
            {
                var (id, shape) = gets[(k + round) % gets.Length];
                // Like every reader here, the raw GET writes what it reads into a pipe (to `cat > /dev/null`).
                await using var pipe = PipeSink.Start();
                Record(round, id, await InProcessAsync(async () =>
                {
                    await s3.GetSegmentsAsync(bucket, prefix, o.SizeBytes, shape, pipe).ConfigureAwait(false);
                    await pipe.CompleteAsync().ConfigureAwait(false);
                }).ConfigureAwait(false), o.SizeBytes);
            }
            SetLimit(round, "limit.put", "ref.put_unchunked", "ref.put_sdk_default");
            SetLimit(round, "limit.get", "ref.get_range", "ref.get_sdk_default");
        }).ConfigureAwait(false);
    }

    /// <summary>The round's limit: the fastest of <paramref name="shapes"/> measured in it (its evidence names which).</summary>
    private void SetLimit(int round, string id, params string[] shapes)
    {
        var measured = shapes.Where(s => results.Rounds[round].ContainsKey(s)).ToList();
        if (measured.Count == 0)
        {
            return;
        }
        var best = measured.MaxBy(s => results.Rounds[round][s])!;
        results.Set(round, id, results.Rounds[round][best]);
        results.AddEvidence(round, id, new Dictionary<string, object>
        {
            ["fastest_shape"] = best,
            ["shapes_mib_per_s"] = measured.ToDictionary(s => s, s => (object)Math.Round(results.Rounds[round][s], 1)),
        });
        Log($"  {id}: {results.Rounds[round][best]:F1} MiB/s ({best})");
    }

    // ---- 2. the peer -------------------------------------------------------------------------------------------

    private async Task AwsCliAsync(int round)
    {
        if (o.Aws is null)
        {
            results.Omit(AwsIds, o.AwsMissingReason ?? "/usr/bin/aws is not installed");
            return;
        }
        var prefix = $"awscli/r{round + 1}";
        var url = $"s3://{bucket}/{prefix}/stream";
        await Guard(AwsIds, prefix, async () =>
        {
            var put = await ChildAsync($"exec {{time}}{Shell.Q(o.Aws)} s3 cp - {Shell.Q(url)} --endpoint-url {Shell.Q(Endpoint)} --no-progress < {Shell.Q(_baseFile)} > /dev/null 2> {{err}}",
                "aws s3 cp - (upload)", TransferTimeout(o.SizeBytes)).ConfigureAwait(false);
            Record(round, "awscli.put", put, o.SizeBytes);
            var get = await ChildAsync($"set -o pipefail; {{time}}{Shell.Q(o.Aws)} s3 cp {Shell.Q(url)} - --endpoint-url {Shell.Q(Endpoint)} --no-progress 2> {{err}} | cat > /dev/null",
                "aws s3 cp … - (download)", TransferTimeout(o.SizeBytes)).ConfigureAwait(false);
            Record(round, "awscli.get", get, o.SizeBytes);
        }).ConfigureAwait(false);
    }

    // ---- 3. S3Fanout throughput (and the base-size memory figures) -----------------------------------------------

    private async Task ToolAsync(int round)
    {
        var prefix = $"tool/r{round + 1}";
        var url = $"s3://{bucket}/{prefix}";
        await Guard(["s3fanout.publish", "s3fanout.subscribe"], prefix, async () =>
        {
            var pub = await PublishAsync(url, _baseFile, "s3fanout-publish", TransferTimeout(o.SizeBytes)).ConfigureAwait(false);
            Record(round, "s3fanout.publish", pub, o.SizeBytes);
            var sub = await SubscribeIntoPipeAsync(url, "s3fanout-subscribe", TransferTimeout(o.SizeBytes)).ConfigureAwait(false);
            Record(round, "s3fanout.subscribe", sub, o.SizeBytes);
        }).ConfigureAwait(false);
        await ChecksumEndpointAsync(round).ConfigureAwait(false);
    }

    // ---- 4. latency --------------------------------------------------------------------------------------------

    private async Task LatencyAsync(int round, string id, string[] publisherArgs, string[] subscriberArgs)
    {
        var prefix = $"{id.Replace('.', '-')}/r{round + 1}";
        var url = $"s3://{bucket}/{prefix}";
        await Guard([$"{id}.p50", $"{id}.p99"], prefix, async () =>
        {
            var flush = $"{o.FlushInterval.TotalMilliseconds:F0}ms";
            var queues = await s3.CountSubscriberQueuesAsync(bucket).ConfigureAwait(false);
            var subErr = new StringBuilder();
            using var sub = StartDotnet(o.SubscriberDll, ["--endpoint-url", Endpoint, "--wait", "120s", .. subscriberArgs, url], stdin: false, stdout: true, subErr);
            await WaitForQueuesAsync(queues + 1, TimeSpan.FromSeconds(90), [sub], subErr).ConfigureAwait(false);
            var pubErr = new StringBuilder();
            using var pub = StartDotnet(o.PublisherDll, ["--endpoint-url", Endpoint, "--flush-interval", flush, .. publisherArgs, url], stdin: true, stdout: false, pubErr);
            try
            {
                await MeasureLatencyAsync(round, id, sub, subErr, pub, pubErr).ConfigureAwait(false);
            }
            finally
            {
                foreach (var p in new[] { pub, sub }.Where(p => !p.HasExited))
                {
                    p.Kill(entireProcessTree: true);
                }
            }
        }).ConfigureAwait(false);
    }

    private async Task MeasureLatencyAsync(int round, string id, Process sub, StringBuilder subErr, Process pub, StringBuilder pubErr)
    {
        var latencies = new ConcurrentBag<double>();
        var warmReceived = 0;
        var reader = Task.Run(async () =>
        {
            while (await sub.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var now = Stopwatch.GetTimestamp();
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
                {
                    throw new StageException($"the subscriber wrote a line that was never sent: '{line[..Math.Min(line.Length, 40)]}'");
                }
                if (parts[0] == "M")
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref warmReceived);
                }
            }
        });

        var stdin = pub.StandardInput.BaseStream;
        async Task SendAsync(char kind, int seq)
        {
            // 100 bytes: kind, sequence, send timestamp (Stopwatch ticks, one clock for sender and receiver), padding, newline.
            var text = $"{kind} {seq:D6} {Stopwatch.GetTimestamp():D20} ".PadRight(99, '.') + "\n";
            await stdin.WriteAsync(Encoding.ASCII.GetBytes(text)).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);
        }
        var next = Stopwatch.GetTimestamp();
        async Task TickAsync()
        {
            next += (long)(o.LineInterval.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }
        }
        // Warm-up lines (not measured) until the pipeline delivered one: start-up and JIT of both processes.
        var warm = 0;
        while (warm < o.LatencyWarmupLines || Volatile.Read(ref warmReceived) == 0)
        {
            if (warm > 900 || reader.IsCompleted || pub.HasExited)
            {
                throw new StageException($"no warm-up line came through after {warm} lines: publisher: {Tail(pubErr)} subscriber: {Tail(subErr)}");
            }
            await SendAsync('W', warm++).ConfigureAwait(false);
            await TickAsync().ConfigureAwait(false);
        }
        for (var m = 0; m < o.LatencyLines; m++)
        {
            await SendAsync('M', m).ConfigureAwait(false);
            await TickAsync().ConfigureAwait(false);
        }
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (latencies.Count < o.LatencyLines && Stopwatch.GetTimestamp() < deadline && !reader.IsCompleted)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
        pub.StandardInput.Close();
        await Shell.WaitAsync(pub, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        await Shell.WaitAsync(sub, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        await reader.ConfigureAwait(false);
        if (pub.ExitCode != 0 || sub.ExitCode != 0)
        {
            throw new StageException($"publisher exited {pub.ExitCode} ({Tail(pubErr)}), subscriber {sub.ExitCode} ({Tail(subErr)})");
        }
        if (latencies.Count != o.LatencyLines)
        {
            throw new StageException($"{latencies.Count} of {o.LatencyLines} measured lines arrived");
        }
        var sorted = latencies.Order().ToList();
        var p50 = Percentile(sorted, 0.50);
        var p99 = Percentile(sorted, 0.99);
        results.Set(round, $"{id}.p50", p50);
        results.Set(round, $"{id}.p99", p99);
        results.AddEvidence(round, id, new Dictionary<string, object>
        {
            ["lines"] = sorted.Count,
            ["warmup_lines"] = warm,
            ["min_ms"] = Math.Round(sorted[0], 1),
            ["p50_ms"] = Math.Round(p50, 1),
            ["p90_ms"] = Math.Round(Percentile(sorted, 0.90), 1),
            ["p99_ms"] = Math.Round(p99, 1),
            ["max_ms"] = Math.Round(sorted[^1], 1),
            ["flush_interval_ms"] = o.FlushInterval.TotalMilliseconds,
        });
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    // ---- 6. memory at 1× and 4× the memory stream -------------------------------------------------------------

    private async Task MemoryAsync(int round)
    {
        string[] ids = ["s3fanout.memory.publish.base", "s3fanout.memory.subscribe.base", "s3fanout.memory.publish.large", "s3fanout.memory.subscribe.large", "s3fanout.memory.publish.growth", "s3fanout.memory.subscribe.growth"];
        foreach (var (size, file, which) in new[] { (o.MemoryBytes, _memoryFile, "base"), (o.LargeBytes, _largeFile, "large") })
        {
            var prefix = $"memory-{which}/r{round + 1}";
            var url = $"s3://{bucket}/{prefix}";
            await Guard(ids, prefix, async () =>
            {
                var pub = await PublishAsync(url, file, $"s3fanout-publish ({which})", TransferTimeout(size)).ConfigureAwait(false);
                results.AddEvidence(round, $"s3fanout.publish.{which}", pub.ToJson(size));
                var sub = await SubscribeIntoPipeAsync(url, $"s3fanout-subscribe ({which})", TransferTimeout(size)).ConfigureAwait(false);
                results.AddEvidence(round, $"s3fanout.subscribe.{which}", sub.ToJson(size));
                SetMemory(round, "publish", which, pub.PeakRssKb);
                SetMemory(round, "subscribe", which, sub.PeakRssKb);
            }).ConfigureAwait(false);
        }
    }

    private void SetMemory(int round, string role, string which, long peakKb)
    {
        var mib = peakKb / 1024.0;
        results.Set(round, $"s3fanout.memory.{role}.{which}", mib);
        if (which == "large" && results.Rounds[round].TryGetValue($"s3fanout.memory.{role}.base", out var small) && small > 0)
        {
            results.Set(round, $"s3fanout.memory.{role}.growth", mib / small);
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    /// <summary>Runs a stage; on failure records why for its rows and goes on. Always deletes the stage's objects.</summary>
    private async Task Guard(string[] ids, string prefix, Func<Task> stage)
    {
        try
        {
            await stage().ConfigureAwait(false);
        }
        catch (Exception e) when (e is StageException or TimeoutException or IOException or InvalidOperationException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            Log($"  FAILED: {e.Message}");
            results.Fail(ids, e.Message);
        }
        finally
        {
            try
            {
                await s3.DeletePrefixAsync(bucket, prefix).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
            {
                Log($"  could not delete s3://{bucket}/{prefix}/: {e.Message}");
            }
        }
    }

    private void Record(int round, string id, Sample sample, long bytes)
    {
        results.Set(round, id, sample.MiBPerSecond(bytes));
        // Client CPU seconds per GiB: the figure that holds on any machine (start-up included for the executables).
        results.Set(round, id + ".cpu", sample.ClientCpuS / (bytes / 1073741824.0));
        results.AddEvidence(round, id, sample.ToJson(bytes));
        Log($"  {id}: {sample.MiBPerSecond(bytes):F1} MiB/s in {sample.WallS:F2} s (client CPU {sample.ClientCpuS:F1} s, emulator CPU {sample.EmulatorCpuS:F1} s, other {sample.OtherCpuS:F1} s)");
    }

    private async Task<Sample> InProcessAsync(Func<Task> action)
    {
        var before = cpu.Read();
        var watch = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        var wall = watch.Elapsed.TotalSeconds;
        var after = cpu.Read();
        return new Sample(wall, after.Self - before.Self, after.Emulator - before.Emulator, after.MachineBusy - before.MachineBusy, after.MachineTotal - before.MachineTotal, 0);
    }

    /// <summary>Runs <paramref name="template"/> ({time} and {err} filled in) and fails the stage on a non-zero exit.</summary>
    private async Task<Sample> ChildAsync(string template, string what, TimeSpan timeout)
    {
        var before = cpu.Read();
        var run = await RunChildAsync(template.Replace("{time}", Shell.TimePrefix(TimeFile()), StringComparison.Ordinal).Replace("{err}", Shell.Q(ErrFile()), StringComparison.Ordinal), what, timeout).ConfigureAwait(false);
        var after = cpu.Read();
        if (run.ExitCode != 0)
        {
            throw new StageException($"{what} exited {run.ExitCode}: {run.StderrTail}");
        }
        return new Sample(run.WallS, run.CpuS, after.Emulator - before.Emulator, after.MachineBusy - before.MachineBusy, after.MachineTotal - before.MachineTotal, run.PeakRssKb);
    }

    private async Task<TimedRun> RunChildAsync(string script, string what, TimeSpan timeout)
    {
        var time = ExtractPath(script, "-o ");
        var err = ExtractPath(script, "2> ") ?? ErrFile();
        try
        {
            return await Shell.RunAsync(script, time ?? TimeFile(), err, timeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new StageException($"{what}: {e.Message}; stderr: {Shell.Tail(err)}");
        }
    }

    /// <summary>The quoted path after <paramref name="marker"/> in a script built here (for collecting the time and stderr files).</summary>
    private static string? ExtractPath(string script, string marker)
    {
        var at = script.IndexOf(marker + "'", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var start = at + marker.Length + 1;
        var end = script.IndexOf('\'', start);
        return script[start..end];
    }

    private string TimeFile() => Path.Combine(o.WorkDir, $"t{Interlocked.Increment(ref _runId)}.time");

    private string ErrFile() => Path.Combine(o.WorkDir, $"e{Interlocked.Increment(ref _runId)}.err");

    private string Dotnet(string executable) => Shell.Executable(o.Dotnet, executable);

    /// <summary>s3fanout-publish of <paramref name="file"/> on stdin to <paramref name="url"/>, through <paramref name="endpoint"/> (default: the emulator); fails the stage on a non-zero exit.</summary>
    private Task<Sample> PublishAsync(string url, string file, string what, TimeSpan timeout, string? endpoint = null) =>
        ChildAsync($"exec {{time}}{Dotnet(o.PublisherDll)} --endpoint-url {Shell.Q(endpoint ?? Endpoint)} {Shell.Q(url)} < {Shell.Q(file)} > /dev/null 2> {{err}}", what, timeout);

    /// <summary>s3fanout-subscribe of <paramref name="url"/> writing into a pipe (`| cat > /dev/null`), as every reader here does; fails the stage on a non-zero exit.</summary>
    private Task<Sample> SubscribeIntoPipeAsync(string url, string what, TimeSpan timeout) =>
        ChildAsync($"set -o pipefail; {{time}}{Dotnet(o.SubscriberDll)} --endpoint-url {Shell.Q(Endpoint)} {Shell.Q(url)} 2> {{err}} | cat > /dev/null", what, timeout);

    private Process StartDotnet(string executable, string[] args, bool stdin, bool stdout, StringBuilder stderr)
    {
        var psi = Shell.ExecutableStartInfo(o.Dotnet, executable, args);
        psi.RedirectStandardInput = stdin;
        psi.RedirectStandardOutput = stdout;
        psi.RedirectStandardError = true;
        return Shell.StartKeepingStderr(psi, stderr);
    }

    /// <summary>The last three stderr lines kept by <see cref="Shell.StartKeepingStderr"/>, on one line.</summary>
    public static string Tail(StringBuilder sb)
    {
        lock (sb)
        {
            var lines = sb.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(no stderr)" : string.Join(" | ", lines.TakeLast(3));
        }
    }

    private async Task WaitForQueuesAsync(int count, TimeSpan timeout, IReadOnlyList<Process> subscribers, StringBuilder? stderr)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (await s3.CountSubscriberQueuesAsync(bucket).ConfigureAwait(false) < count)
        {
            if (subscribers.FirstOrDefault(p => p.HasExited) is { } gone)
            {
                throw new StageException($"a subscriber exited {gone.ExitCode} before it listened{(stderr is null ? "" : ": " + Tail(stderr))}");
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new StageException($"subscribers did not create their queues within {timeout.TotalSeconds:F0} s");
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Pseudo-random bytes (incompressible, reproducible), written once; returns their SHA-256.</summary>
    public static string WriteRandomFile(string path, long size)
    {
        var random = new Random(20261126);
        var buffer = new byte[8 * 1024 * 1024];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.Create(path);
        for (long left = size; left > 0;)
        {
            var n = (int)Math.Min(buffer.Length, left);
            random.NextBytes(buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
            file.Write(buffer, 0, n);
            left -= n;
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static void Log(string line) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {line}");
}
